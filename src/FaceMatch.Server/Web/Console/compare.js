// FaceMatch console, compare page: two photos to POST /v1/compare (JSON, images in base64), the score back.
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);
  const show = window.FaceMatchConsole.showResult;
  const previews = new Map();

  function preview(input, img) {
    input.addEventListener('change', () => {
      if (previews.has(img)) URL.revokeObjectURL(previews.get(img));
      const file = input.files[0];
      if (!file) return;
      const url = URL.createObjectURL(file);
      previews.set(img, url);
      img.src = url;
    });
  }

  function base64(file) {
    return new Promise((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => resolve(String(reader.result).slice(String(reader.result).indexOf(',') + 1));
      reader.onerror = () => reject(reader.error);
      reader.readAsDataURL(file);
    });
  }


  async function compare() {
    const token = $('token').value.trim();
    const a = $('photo-a').files[0];
    const b = $('photo-b').files[0];
    if (!token || !a || !b) {
      show('error', 'A token and two photos are needed.', []);
      return;
    }
    $('compare').disabled = true;
    $('result').dataset.state = 'running';
    try {
      const response = await fetch('/v1/compare', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ' + token },
        body: JSON.stringify({ imageA: await base64(a), imageB: await base64(b) }),
        cache: 'no-store',
        credentials: 'omit',
      });
      const body = await response.json().catch(() => ({}));
      if (!response.ok) {
        show('error', `HTTP ${response.status}: ${body.message || response.statusText}`, []);
        return;
      }
      show(body.match ? 'match' : 'no-match', body.match ? 'Same person.' : 'Different people.', [
        ['score', 'Score', Number(body.score).toFixed(4)],
        ['threshold', 'Threshold', Number(body.threshold).toFixed(4)],
        ['match', 'Match', String(body.match)],
      ]);
    } catch (e) {
      show('error', e.message, []);
    } finally {
      $('compare').disabled = false;
    }
  }

  preview($('photo-a'), $('preview-a'));
  preview($('photo-b'), $('preview-b'));
  $('compare').addEventListener('click', compare);
})();
