// The run page: while the run trains, swaps in its status line (rendered by the server) and redraws the learning
// curve; reloads once its analyses arrive. The sample form, and the cell visualiser.
(() => {
  const root = document.getElementById('run');
  if (!root) return;
  const { status: RunStatus, final, send, fragment, replaceById, onAction } = window.rnn;
  const id = root.dataset.run;
  const state = () => document.getElementById('run-status').dataset;

  async function watch() {
    const line = await fragment(`/fragments/runs/${id}/status`);
    if (line) {
      const before = state().epochs;
      replaceById(line.root);
      const now = state();
      if (now.epochs !== before) document.getElementById('curves').src = `/runs/${id}/curves.svg?epochs=${now.epochs}`;
      // The analyses (saturation, visualiser, units) arrive after training: the page is drawn again with them.
      if (now.analyzed === 'true' && !document.getElementById('saturation') && now.status === RunStatus.succeeded) { location.reload(); return; }
      if (final(now.status) && (now.status !== RunStatus.succeeded || now.analyzed === 'true')) return;
    }
    setTimeout(watch, 3000);
  }
  if (!final(state().status) || state().analyzed !== 'true') setTimeout(watch, 3000);
  onAction(() => setTimeout(watch, 500));

  // Samples: POST /api/runs/{id}/samples, then the server's rendering of it (/fragments/samples/{id}) once a Worker wrote it.
  const form = document.getElementById('sample-form');
  form?.addEventListener('submit', async event => {
    event.preventDefault();
    const data = new FormData(form), error = form.querySelector('.form-error');
    error.textContent = 'sampling…';
    const body = {
      method: data.get('method'), temperature: +data.get('temperature'), topK: +data.get('topK'),
      length: +data.get('length'), seed: +data.get('seed'), count: +data.get('count'), primeText: data.get('primeText'),
    };
    const response = await send(`${form.dataset.url}?wait=60`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) {
      error.textContent = Object.entries(answer.errors || {}).map(([f, m]) => `${f}: ${m.join('; ')}`).join(' · ') || answer.title || response.status;
      return;
    }
    error.textContent = '';
    let sample = await fragment(`/fragments/samples/${answer.id}`);
    while (sample && sample.root.dataset.finished !== 'true') {
      await new Promise(r => setTimeout(r, 1000));
      sample = await fragment(`/fragments/samples/${answer.id}`);
    }
    if (sample) document.getElementById('samples').appendChild(sample.root);
  });

  // The cell visualiser: each character's background is the chosen unit's value, mixed from white towards
  // --cell-neg (-1) or --cell-pos (+1) (dashboard.css, which the legend's scale uses too), light enough to read.
  const cells = document.getElementById('cells');
  if (!cells) return;
  let data, values, layer = 0, unit = 0, spans = [];
  const label = document.getElementById('unit-label');
  const colour = v => `color-mix(in srgb, var(${v >= 0 ? '--cell-pos' : '--cell-neg'}) ${Math.round(100 * Math.min(1, Math.abs(v)))}%, white)`;
  function show() {
    label.textContent = `layer ${layer} unit ${unit}`;
    const base = layer * data.steps * data.hidden + unit;
    spans.forEach((span, t) => {
      const v = values[base + t * data.hidden] * data.scale;
      span.style.background = colour(v);
      span.title = v.toFixed(3);
    });
    for (const row of document.querySelectorAll('#units tr.pick')) {
      row.classList.toggle('selected', +row.dataset.layer === layer && +row.dataset.unit === unit);
    }
  }
  function select(l, u, link = true) {
    layer = (l + data.layers) % data.layers;
    unit = (u + data.hidden) % data.hidden;
    show();
    // The address names the unit shown, so a unit can be bookmarked or sent: /runs/ID#layer=L&unit=U opens on it.
    if (link) history.replaceState(null, '', `#layer=${layer}&unit=${unit}`);
  }
  // The unit the address names: [layer, unit], null when it names none, or a message when it names one this run
  // does not have (a link made for another run).
  function linkedUnit() {
    const p = new URLSearchParams(location.hash.slice(1));
    if (!p.has('layer') || !p.has('unit')) return null;
    const [l, u] = [Number(p.get('layer')), Number(p.get('unit'))];
    const fits = (n, size) => Number.isSafeInteger(n) && n >= 0 && n < size;
    return fits(l, data.layers) && fits(u, data.hidden) ? [l, u]
      : `this run has no layer ${p.get('layer')} unit ${p.get('unit')} (layers 0-${data.layers - 1}, units 0-${data.hidden - 1})`;
  }
  function openLinked() {
    const linked = linkedUnit();
    const note = document.getElementById('unit-note');
    note.textContent = typeof linked === 'string' ? linked : '';
    if (Array.isArray(linked)) {
      select(linked[0], linked[1], false);
      cells.scrollIntoView();
      return true;
    }
    return false;
  }
  fetch(cells.dataset.url).then(r => r.json()).then(json => {
    data = json;
    const bytes = Uint8Array.from(atob(json.values), c => c.charCodeAt(0));
    values = new Int8Array(bytes.buffer); // value = (sbyte)b * scale, layer-major (layers x steps x hidden)
    const text = document.getElementById('cell-text');
    text.textContent = '';
    spans = [...json.text].map(ch => {
      const span = document.createElement('span');
      span.textContent = ch;
      text.appendChild(span);
      return span;
    });
    document.getElementById('next-unit').onclick = () => select(layer, unit + 1);
    document.getElementById('prev-unit').onclick = () => select(layer, unit - 1);
    document.getElementById('next-layer').onclick = () => select(layer + 1, unit);
    document.getElementById('prev-layer').onclick = () => select(layer - 1, unit);
    for (const row of document.querySelectorAll('#units tr.pick')) {
      row.onclick = () => { select(+row.dataset.layer, +row.dataset.unit); cells.scrollIntoView({ behavior: 'smooth' }); };
    }
    // Open on the unit the address names, else on the most interpretable unit (the page names it), or on layer 0
    // unit 0 when none passes.
    if (!openLinked()) select(+(cells.dataset.layer || 0), +(cells.dataset.unit || 0), false);
    window.addEventListener('hashchange', openLinked);
    cells.dataset.ready = 'true';
  });
})();
