// FaceMatch console, shared by both pages: the result panel (#result, #result-summary, #result-fields).
'use strict';

window.FaceMatchConsole = Object.freeze({
  // Marks the panel done with an outcome (the tests read data-state and data-outcome) and lists the fields as
  // label/value pairs, each value tagged with its key in data-field. Text only: nothing from the server is HTML.
  showResult(outcome, summary, fields) {
    const result = document.getElementById('result');
    result.dataset.state = 'done';
    result.dataset.outcome = outcome;
    document.getElementById('result-summary').textContent = summary;
    document.getElementById('result-fields').replaceChildren(...fields.flatMap(([key, label, value]) => {
      const dt = document.createElement('dt');
      dt.textContent = label;
      const dd = document.createElement('dd');
      dd.dataset.field = key;
      dd.textContent = value;
      return [dt, dd];
    }));
  },
});
