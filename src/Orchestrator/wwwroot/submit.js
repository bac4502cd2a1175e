// The submit form: it opens on a preset with its values filled in (server-rendered); choosing another preset fills
// in that one's (data-presets), "custom grid" empties the fields. Then the optional corpus upload (PUT /api/corpora/{name}), then POST /api/sweeps; a 400's `errors`
// object is shown next to the fields it names. A corpus built from source files goes in the spec as `corpusRecipe`,
// only when a source is given; its fields keep their values when the preset changes.
(() => {
  const form = document.getElementById('submit-form');
  if (!form) return;
  const status = document.getElementById('submit-status');
  const { send } = window.rnn;
  const presets = JSON.parse(form.dataset.presets);
  const numbers = (text, field, errors) => {
    const parts = text.split(/[\s,]+/).filter(Boolean);
    const bad = parts.filter(p => !/^\d+$/.test(p));
    if (bad.length) errors[field] = [`not whole numbers: ${bad.join(', ')}`];
    return parts.map(Number);
  };
  // An error on one entry of a list (layers[0], corpusRecipe.include[2]) is shown beside the list, with the entry's number.
  function showErrors(errors) {
    for (const [field, messages] of Object.entries(errors)) {
      const index = /\[(\d+)\]$/.exec(field);
      const name = index ? field.slice(0, index.index) : field;
      const target = form.querySelector(`.form-error[data-field="${CSS.escape(name)}"]`) || form.querySelector('.form-error[data-field="*"]');
      const prefix = target.dataset.field === '*' ? field + ': ' : index ? `#${Number(index[1]) + 1}: ` : '';
      target.textContent += `${prefix}${messages.join('; ')} `;
      target.closest('details')?.setAttribute('open', ''); // an error inside the closed recipe part must be seen
    }
  }
  // The corpus name follows the source (as the CLI names a corpus after its folder or tarball) until the user types one.
  const recipeSource = form.elements['corpusRecipe.source'];
  let corpusTyped = false;
  form.elements.corpus.addEventListener('input', () => { corpusTyped = true; });
  const presetCorpus = () => (presets[form.elements.preset.value] || {}).corpus || '';
  function nameOf(source) {
    let last = source.trim().replace(/[?#].*$/, '').split('/').filter(Boolean).pop() || '';
    for (const ext of ['.tar.gz', '.tar.xz', '.tgz', '.txz', '.tar']) {
      if (last.toLowerCase().endsWith(ext)) { last = last.slice(0, -ext.length); break; }
    }
    const name = last.replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[._-]+/, '');
    return name.length === 0 ? 'corpus' : name.slice(0, 100);
  }
  function followSource() {
    if (!corpusTyped) form.elements.corpus.value = recipeSource.value.trim() ? nameOf(recipeSource.value) : presetCorpus();
  }
  recipeSource.addEventListener('input', followSource);
  if (recipeSource.value.trim()) recipeSource.closest('details').open = true; // values the browser restored (back, reload) stay in sight
  form.elements.preset.addEventListener('change', () => {
    const values = presets[form.elements.preset.value] || {};
    for (const element of form.elements) {
      if (!element.name || element.name === 'name' || element.name === 'preset' || element.name === 'queue' || element.type === 'file') continue;
      if (element.name.startsWith('corpusRecipe.') || (element.name === 'corpus' && corpusTyped)) continue;
      const value = values[element.name];
      if (element.type === 'checkbox') element.checked = Array.isArray(value) ? value.includes(element.value) : value === true;
      else if (element.tagName === 'SELECT') element.value = value ?? element.options[0].value;
      else element.value = value ?? '';
    }
    followSource();
    followMatch();
  });
  // Matching across layers needs matching at all: the second box follows the first.
  const matchParameters = form.elements.matchParameters, matchLayers = form.elements.matchLayers;
  function followMatch() {
    matchLayers.disabled = !matchParameters.checked;
    if (!matchParameters.checked) matchLayers.checked = false;
  }
  matchParameters.addEventListener('change', followMatch);
  followMatch();
  // The separator's escapes: \n, \t, \r, \\, \xHH, \uHHHH (a newline cannot be typed into one line).
  function unescapeSeparator(text) {
    return text.replace(/\\(u[0-9A-Fa-f]{4}|x[0-9A-Fa-f]{2}|[\s\S]?)/g, (whole, e) => {
      if (e[0] === 'u' || e[0] === 'x') return String.fromCharCode(parseInt(e.slice(1), 16));
      const simple = { n: '\n', t: '\t', r: '\r', '\\': '\\' }[e];
      if (simple === undefined) throw new Error(`'${whole}' is not an escape: use \\n, \\t, \\r, \\\\, \\xHH or \\uHHHH`);
      return simple;
    });
  }
  // The recipe's fields, or null when no source is given. Whole numbers are kept as their digits (`exact`, put in
  // place of a marker no typed text can hold) so a 64-bit seed reaches the server as typed, not rounded to a double.
  const marker = `\u0000exact-${Math.random().toString(36).slice(2)}${Date.now()}-`; // not crypto.randomUUID: plain-HTTP pages lack it
  function recipe(data, errors, exact) {
    const source = (data.get('corpusRecipe.source') || '').trim();
    if (!source) return null;
    const result = { source };
    const sha = (data.get('corpusRecipe.sourceSha256') || '').trim().toLowerCase();
    if (sha) result.sourceSha256 = sha;
    for (const key of ['include', 'exclude']) {
      const globs = (data.get(`corpusRecipe.${key}`) || '').split(/[\s,]+/).filter(Boolean);
      if (globs.length) result[key] = globs;
    }
    const whole = { seed: [-(2n ** 63n), 2n ** 63n - 1n], maxBytes: [1n, 2n ** 63n - 1n] };
    for (const [key, [min, max]] of Object.entries(whole)) {
      const element = form.elements[`corpusRecipe.${key}`];
      const text = element.value.trim();
      if (element.validity.badInput) { errors[`corpusRecipe.${key}`] = ['is not a number']; continue; }
      if (!text) continue;
      if (!/^-?\d+$/.test(text)) { errors[`corpusRecipe.${key}`] = [`must be a whole number, not ${text}`]; continue; }
      if (BigInt(text) < min || BigInt(text) > max) { errors[`corpusRecipe.${key}`] = [`must be between ${min} and ${max}, not ${text}`]; continue; }
      result[key] = marker + exact.length;
      exact.push(BigInt(text).toString());
    }
    try {
      const separator = unescapeSeparator(data.get('corpusRecipe.separator') ?? '');
      if (separator !== '\n') result.separator = separator; // the default, left out so the spec is the CLI's and the API's
    } catch (e) {
      errors['corpusRecipe.separator'] = [e.message];
    }
    return result;
  }
  form.addEventListener('submit', async event => {
    event.preventDefault();
    for (const e of form.querySelectorAll('.form-error')) e.textContent = '';
    const data = new FormData(form), errors = {}, spec = {}, hyperparameters = {};
    for (const key of ['name', 'preset', 'corpus', 'queue']) if (data.get(key)) spec[key] = data.get(key).trim();
    const models = data.getAll('models');
    if (models.length) spec.models = models;
    if (data.get('layers').trim()) spec.layers = numbers(data.get('layers'), 'layers', errors);
    if (data.get('hiddenSizes').trim()) spec.hiddenSizes = numbers(data.get('hiddenSizes'), 'hiddenSizes', errors);
    // Both sent as checked, so unticking a box overrides a preset that sets it.
    spec.matchParameters = data.get('matchParameters') !== null;
    spec.matchLayers = spec.matchParameters && data.get('matchLayers') !== null;
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
    const exact = [];
    const corpusRecipe = recipe(data, errors, exact);
    if (corpusRecipe) {
      spec.corpusRecipe = corpusRecipe;
      if (!spec.corpus) spec.corpus = nameOf(corpusRecipe.source);
      if (file && file.size > 0) errors.upload = ['and a source to build from are two corpora: give one'];
    }
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
    const body = exact.reduce((json, digits, i) => json.replace(JSON.stringify(marker + i), digits), JSON.stringify(spec));
    const response = await send('/api/sweeps', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
    const answer = await response.json().catch(() => ({}));
    if (response.ok) { location.href = `/sweeps/${answer.id}`; return; }
    status.textContent = '';
    showErrors(answer.errors || { '*': [answer.title || `HTTP ${response.status}`] });
  });
})();
