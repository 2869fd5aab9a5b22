// FaceMatch console, live session page: the camera's frames as JPEG over a WebSocket session
// (/v1/sessions/{kind}), each frame's feedback drawn as it comes back, then the result.
// Protocol: subprotocols ["facematch.v1", "facematch.bearer.<token>"]; text {"start": {...}} first; each frame a
// binary message (8-byte big-endian capture time in ms, then the JPEG); text {"end": {}} when no more frames come.
// The server answers {"feedback": ...} per frame, one {"result": ...}, or one {"error": ...}, then closes.
'use strict';

(() => {
  const MAX_FRAMES = 15;      // the server ends the session itself once it has enough good frames
  const FRAME_GAP_MS = 120;   // pause between a frame's feedback and the next capture: some motion between frames
  const JPEG_QUALITY = 0.9;
  const HINTS = {
    no_face: 'No face found: look into the camera',
    move_closer: 'Move closer',
    too_dark: 'Too dark: add light',
    too_bright: 'Too bright',
    blurry: 'Hold still: the frame is blurred',
    multiple_faces: 'Only one face, please',
    turn_to_camera: 'Face the camera',
    straighten_head: 'Hold your head straight',
  };

  const $ = (id) => document.getElementById(id);
  const finish = window.FaceMatchConsole.showResult;
  const video = $('video');
  const overlay = $('overlay');
  const capture = document.createElement('canvas');
  let stream = null;
  let running = false;

  function setStatus(text) {
    $('status').textContent = text;
  }

  function selectedKind() {
    return document.querySelector('input[name="kind"]:checked').value;
  }

  async function startCamera() {
    $('camera').disabled = true;
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        video: { width: { ideal: 640 }, height: { ideal: 480 }, facingMode: 'user' },
        audio: false,
      });
      video.srcObject = stream;
      await video.play();
      $('run').disabled = false;
      setStatus('Camera on. Run a session when ready.');
    } catch (e) {
      $('camera').disabled = false;
      setStatus('The camera could not be opened: ' + e.message);
    }
  }

  function grabFrame() {
    capture.width = video.videoWidth;
    capture.height = video.videoHeight;
    capture.getContext('2d').drawImage(video, 0, 0, capture.width, capture.height);
    return new Promise((resolve, reject) =>
      capture.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('no frame'))), 'image/jpeg', JPEG_QUALITY));
  }

  async function frameMessage(blob, captureTimeMs) {
    const image = new Uint8Array(await blob.arrayBuffer());
    const message = new Uint8Array(8 + image.byteLength);
    new DataView(message.buffer).setBigInt64(0, BigInt(Math.round(captureTimeMs)));
    message.set(image, 8);
    return message;
  }

  // Messages in arrival order, awaited one at a time; a close becomes a last {closed} message.
  function inbox(socket) {
    const queue = [];
    const waiting = [];
    const push = (m) => (waiting.length ? waiting.shift()(m) : queue.push(m));
    socket.onmessage = (e) => {
      try {
        push(JSON.parse(e.data));
      } catch {
        push({ error: { status: 'CLIENT', message: 'the server sent something that is not JSON' } });
      }
    };
    socket.onclose = (e) => push({ closed: { code: e.code, reason: e.reason } });
    return () => (queue.length ? Promise.resolve(queue.shift()) : new Promise((resolve) => waiting.push(resolve)));
  }

  function opened(socket) {
    return new Promise((resolve, reject) => {
      socket.onopen = () => resolve();
      socket.onerror = () => reject(new Error('the WebSocket could not be opened (is this page served by the FaceMatch server?)'));
    });
  }

  function drawFeedback(feedback) {
    const width = (overlay.width = video.clientWidth);
    const height = (overlay.height = video.clientHeight);
    const ctx = overlay.getContext('2d');
    ctx.clearRect(0, 0, width, height);
    const good = feedback.faceFound && feedback.quality >= 0.3;
    const box = feedback.faceBox;
    if (feedback.faceFound && box) {
      ctx.lineWidth = 3;
      ctx.strokeStyle = good ? '#1a9e4b' : '#e09a00';
      ctx.strokeRect(box.x * width, box.y * height, box.width * width, box.height * height);
    }
    $('feedback').dataset.state = good ? 'good' : feedback.faceFound ? 'weak' : 'no-face';
    $('quality').value = feedback.quality;
    $('quality-value').textContent = feedback.quality.toFixed(2);
    $('liveness').value = feedback.liveness;
    $('liveness-value').textContent = feedback.liveness.toFixed(2);
    const hints = $('hints');
    hints.replaceChildren(...feedback.hints.map((hint) => {
      const li = document.createElement('li');
      li.dataset.hint = hint;
      li.textContent = HINTS[hint] || hint;
      return li;
    }));

    const row = document.createElement('li');
    row.dataset.faceFound = String(feedback.faceFound);
    row.textContent = `frame ${feedback.frameIndex}: ` + (feedback.faceFound
      ? `face, quality ${feedback.quality.toFixed(2)}, liveness ${feedback.liveness.toFixed(2)}`
      : 'no face') + (feedback.hints.length ? ` (${feedback.hints.join(', ')})` : '');
    $('frames').append(row);
  }

  function showResult(kind, result) {
    let outcome;
    let summary;
    if (kind === 'enroll') {
      outcome = result.enrolled ? 'enrolled' : 'refused';
      summary = result.enrolled ? 'Enrolled.' : `Not enrolled: ${result.reason}.`;
      if (result.enrolled) $('template-id').value = result.templateId;
    } else if (kind === 'authenticate') {
      outcome = result.match ? 'match' : 'no-match';
      summary = result.match ? `Match (score ${result.matchScore.toFixed(3)}).` : `No match: ${result.reason || 'no_match'}.`;
    } else {
      outcome = result.candidates.length ? 'identified' : 'not-identified';
      summary = result.candidates.length ? `${result.candidates.length} candidate(s).` : `Nobody found${result.reason ? ': ' + result.reason : ''}.`;
    }
    const fields = [
      ['session-id', 'Session', result.sessionId],
      ['template-id', 'Template', result.templateId],
      ['live', 'Live', `${result.live} (score ${result.livenessScore.toFixed(2)})`],
    ];
    if (kind === 'authenticate') fields.push(['match-score', 'Match score', result.matchScore.toFixed(4)]);
    if (kind === 'identify' || result.reason === 'duplicate')
      fields.push(['candidates', 'Candidates', result.candidates.map((c) => `${c.templateId} (${c.score.toFixed(4)})`).join(', ') || 'none']);
    if (result.reason) fields.push(['reason', 'Reason', result.reason]);
    finish(outcome, summary, fields);
  }

  function showError(error) {
    finish('error', `${error.status}: ${error.message}`, []);
  }


  function startMessage(kind) {
    const start = { device: { sdkVersion: 'facematch-console/1', deviceModel: 'browser' } };
    const templateId = $('template-id').value.trim();
    if (kind !== 'identify' && templateId) start.templateId = templateId;
    if (kind === 'identify') start.topK = Number($('top-k').value) || 5;
    return { start };
  }

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  async function runSession() {
    const token = $('token').value.trim();
    if (!token) {
      setStatus('Enter a development token first.');
      return;
    }
    const kind = selectedKind();
    running = true;
    $('run').disabled = true;
    $('result').dataset.state = 'running';
    delete $('result').dataset.outcome;
    $('result-summary').textContent = 'Running…';
    $('result-fields').replaceChildren();
    $('frames').replaceChildren();
    setStatus(`${kind}: connecting…`);

    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const socket = new WebSocket(`${scheme}//${location.host}/v1/sessions/${kind}`, ['facematch.v1', 'facematch.bearer.' + token]);
    socket.binaryType = 'arraybuffer';
    const next = inbox(socket);
    try {
      await opened(socket);
      socket.send(JSON.stringify(startMessage(kind)));
      setStatus(`${kind}: streaming frames…`);
      let sent = 0;
      let ended = false;
      for (;;) {
        if (!ended && sent < MAX_FRAMES && socket.readyState === WebSocket.OPEN) {
          const frame = await frameMessage(await grabFrame(), performance.now());
          // The server may have ended the session (enough good frames) while the frame was being encoded.
          if (socket.readyState === WebSocket.OPEN) {
            socket.send(frame);
            sent++;
          }
        } else if (!ended && socket.readyState === WebSocket.OPEN) {
          socket.send(JSON.stringify({ end: {} }));
          ended = true;
        }
        const message = await next();
        if (message.feedback) {
          drawFeedback(message.feedback);
          await sleep(FRAME_GAP_MS);
        } else if (message.result) {
          showResult(kind, message.result);
          setStatus(`${kind}: done.`);
          break;
        } else if (message.error) {
          showError(message.error);
          setStatus(`${kind}: failed.`);
          break;
        } else {
          showError({ status: 'CLOSED', message: `the connection closed (${message.closed.code}) before a result` });
          setStatus(`${kind}: connection closed.`);
          break;
        }
      }
    } catch (e) {
      showError({ status: 'CLIENT', message: e.message });
      setStatus(`${kind}: failed.`);
    } finally {
      if (socket.readyState === WebSocket.OPEN) socket.close(1000);
      running = false;
      $('run').disabled = !stream;
    }
  }

  $('camera').addEventListener('click', startCamera);
  $('run').addEventListener('click', () => {
    if (!running) runSession();
  });
})();
