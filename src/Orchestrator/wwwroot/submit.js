// The submit form: it opens on a preset with its values filled in (server-rendered); choosing another preset fills
// in that one's (data-presets), "custom grid" empties the fields. Then the optional corpus upload (PUT /api/corpora/{name}), then POST /api/sweeps; a 400's `errors`
// object is shown next to the fields it names.
(() => {
  const form = document.getElementById('submit-form');
  if (!form) return;
  const status = document.getElementById('submit-status');
  const { send } = window.rnn;
  const numbers = (text, field, errors) => {
    const parts = text.split(/[\s,]+/).filter(Boolean);
    const bad = parts.filter(p => !/^\d+$/.test(p));
    if (bad.length) errors[field] = [`not whole numbers: ${bad.join(', ')}`];
    return parts.map(Number);
  };
  function showErrors(errors) {
    for (const [field, messages] of Object.entries(errors)) {
      const name = field.replace(/\[\d+\]$/, '');
      const target = form.querySelector(`.form-error[data-field="${CSS.escape(name)}"]`) || form.querySelector('.form-error[data-field="*"]');
      target.textContent += `${target.dataset.field === '*' ? field + ': ' : ''}${messages.join('; ')} `;
    }
  }
  const presets = JSON.parse(form.dataset.presets);
  form.elements.preset.addEventListener('change', () => {
    const values = presets[form.elements.preset.value] || {};
    for (const element of form.elements) {
      if (!element.name || element.name === 'name' || element.name === 'preset' || element.name === 'queue' || element.type === 'file') continue;
      const value = values[element.name];
      if (element.type === 'checkbox') element.checked = Array.isArray(value) ? value.includes(element.value) : value === true;
      else if (element.tagName === 'SELECT') element.value = value ?? element.options[0].value;
      else element.value = value ?? '';
    }
  });
  form.addEventListener('submit', async event => {
    event.preventDefault();
    for (const e of form.querySelectorAll('.form-error')) e.textContent = '';
    const data = new FormData(form), errors = {}, spec = {}, hyperparameters = {};
    for (const key of ['name', 'preset', 'corpus', 'queue']) if (data.get(key)) spec[key] = data.get(key).trim();
    const models = data.getAll('models');
    if (models.length) spec.models = models;
    if (data.get('layers').trim()) spec.layers = numbers(data.get('layers'), 'layers', errors);
    if (data.get('hiddenSizes').trim()) spec.hiddenSizes = numbers(data.get('hiddenSizes'), 'hiddenSizes', errors);
    if (data.get('matchParameters')) spec.matchParameters = true;
    if ((data.get('seeds') || '').trim()) spec.seeds = numbers(data.get('seeds'), 'seeds', errors);
    // Extra axes as NAME=V1,V2; NAME2=...: numbers and booleans as JSON, other values as text (optimizer=adam,rmsprop).
    for (const part of (data.get('axes') || '').split(';').map(p => p.trim()).filter(p => p)) {
      const eq = part.indexOf('=');
      if (eq <= 0) { errors.axes = [`'${part}' is not NAME=VALUE,VALUE`]; continue; }
      spec.axes = spec.axes || {};
      spec.axes[part.slice(0, eq).trim()] = part.slice(eq + 1).split(',').map(v => v.trim()).map(v => {
        try { return JSON.parse(v); } catch { return v; }
      });
    }
    for (const [key, value] of data.entries()) {
      if (!key.startsWith('hyperparameters.') || value === '') continue;
      const name = key.slice('hyperparameters.'.length);
      hyperparameters[name] = form.elements[key].tagName === 'SELECT' ? value : Number(value);
    }
    if (Object.keys(hyperparameters).length) spec.hyperparameters = hyperparameters;
    const file = data.get('upload');
    if (file && file.size > 0 && !spec.corpus) spec.corpus = file.name.replace(/\.[^.]*$/, '').replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '');
    if (Object.keys(errors).length) { showErrors(errors); return; }

    if (file && file.size > 0) {
      status.textContent = `uploading ${file.name}…`;
      const upload = await send(`/api/corpora/${encodeURIComponent(spec.corpus)}`, { method: 'PUT', headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: file });
      if (!upload.ok) {
        const problem = await upload.json().catch(() => ({ title: upload.statusText }));
        const mapped = {};
        for (const [f, m] of Object.entries(problem.errors || { upload: [problem.title] })) mapped[f === 'name' ? 'corpus' : f === 'body' ? 'upload' : f] = m;
        showErrors(mapped);
        status.textContent = '';
        return;
      }
    }
    status.textContent = 'submitting…';
    const response = await send('/api/sweeps', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(spec) });
    const answer = await response.json().catch(() => ({}));
    if (response.ok) { location.href = `/sweeps/${answer.id}`; return; }
    status.textContent = '';
    showErrors(answer.errors || { '*': [answer.title || `HTTP ${response.status}`] });
  });
})();
