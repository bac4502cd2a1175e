// The run page: live status and learning curve while training, the sample form, and the cell visualiser.
(() => {
  const root = document.getElementById('run');
  if (!root) return;
  const { status: RunStatus, final, esc, send } = window.rnn;
  const id = root.dataset.run;

  // While the run trains, refresh its status and redraw the learning curve; reload once its analyses arrive.
  async function watch() {
    const response = await fetch(`/api/runs/${id}`, { cache: 'no-store' });
    if (response.ok) {
      const run = await response.json();
      const status = document.getElementById('status');
      status.textContent = run.status;
      status.className = `tag s-${run.status}`;
      document.getElementById('epochs').textContent = `${run.epochsDone} epochs done`;
      document.getElementById('lease').textContent = run.lease ? run.lease.text : '';
      document.getElementById('curves').src = `/runs/${id}/curves.svg?epochs=${run.epochsDone}`;
      if (run.status === RunStatus.succeeded && !document.getElementById('saturation')) {
        const saturation = await (await fetch(`/api/runs/${id}/saturation`)).json();
        if (saturation.length > 0) { location.reload(); return; }
      }
      if (final(run.status) && (run.status !== RunStatus.succeeded || document.getElementById('saturation'))) return;
    }
    setTimeout(watch, 3000);
  }
  if (!final(root.dataset.status) || root.dataset.analyzed !== 'true') setTimeout(watch, 3000);
  window.rnn.wireButtons(() => setTimeout(watch, 500));

  // Samples: POST /api/runs/{id}/samples, waiting for a Worker to write it; 400 errors are shown by the form.
  const form = document.getElementById('sample-form');
  const sampleHtml = s => `<div class="sample" data-sample="${s.id}"><div class="meta">${esc(s.method)}, temperature ${s.temperature}${s.method === 'topk' ? `, top ${s.topK}` : ''}, seed ${s.seed}, ${s.length} characters</div>` +
    (s.error ? `<pre class="error">${esc(s.error)}</pre>` : s.text == null ? '<pre class="pending">waiting for a Worker…</pre>' : `<pre><b class="prime">${esc(s.primeText)}</b>${esc(s.text)}</pre>`) + '</div>';
  form?.addEventListener('submit', async event => {
    event.preventDefault();
    const data = new FormData(form), error = form.querySelector('.form-error');
    error.textContent = 'sampling…';
    const body = {
      method: data.get('method'), temperature: +data.get('temperature'), topK: +data.get('topK'),
      length: +data.get('length'), seed: +data.get('seed'), primeText: data.get('primeText'),
    };
    const response = await send(`${form.dataset.url}?wait=60`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) {
      error.textContent = Object.entries(answer.errors || {}).map(([f, m]) => `${f}: ${m.join('; ')}`).join(' · ') || answer.title || response.status;
      return;
    }
    error.textContent = '';
    let sample = answer;
    while (response.status === 202 || (sample.text == null && sample.error == null)) {
      await new Promise(r => setTimeout(r, 1000));
      sample = await (await fetch(`/api/samples/${answer.id}`)).json();
      if (sample.finishedAt) break;
    }
    document.getElementById('samples').insertAdjacentHTML('beforeend', sampleHtml(sample));
  });

  // The cell visualiser: each character's background is the chosen unit's value, blue (-1), white (0), red (+1).
  const cells = document.getElementById('cells');
  if (!cells) return;
  let data, values, layer = 0, unit = 0, spans = [];
  const label = document.getElementById('unit-label');
  function colour(v) {
    const c = Math.round(255 * (1 - Math.min(1, Math.abs(v))));
    return v >= 0 ? `rgb(255,${c},${c})` : `rgb(${c},${c},255)`;
  }
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
  function select(l, u) {
    layer = (l + data.layers) % data.layers;
    unit = (u + data.hidden) % data.hidden;
    show();
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
    // Open on the most interpretable unit (the page names it), or layer 0 unit 0 when none passes.
    select(+(cells.dataset.layer || 0), +(cells.dataset.unit || 0));
    cells.dataset.ready = 'true';
  });
})();
