// The sweep page: polls GET /api/sweeps/{id}/live every 2.5 s and patches the loss-table cells in place
// (status, epoch progress, losses, colours, the best cell), the counts and the n-gram table. No reload.
(() => {
  const root = document.getElementById('sweep');
  if (!root) return;
  const { final, esc, loss, counts, progress, colour } = window.rnn;
  const id = root.dataset.sweep, maxEpochs = +root.dataset.maxEpochs;
  const column = { train: 'trainLoss', val: 'valLoss', test: 'testLoss' }; // a loss table's data-loss -> the live cell's field
  let since = root.dataset.now;
  const byRun = new Map();
  for (const td of root.querySelectorAll('td[data-run]')) {
    if (!byRun.has(td.dataset.run)) byRun.set(td.dataset.run, []);
    byRun.get(td.dataset.run).push(td);
  }

  function patch(cell) {
    const { runId, status, epochsDone, note } = cell;
    for (const td of byRun.get(String(runId)) || []) {
      const value = cell[column[td.closest('table').dataset.loss]];
      const key = `${status}|${epochsDone}|${value}|${note}`;
      if (td.dataset.k === key) continue; // unchanged since the last poll: leave the DOM alone
      td.dataset.k = key;
      td.className = `s-${status}`;
      td.dataset.status = status;
      if (value == null) { delete td.dataset.v; td.style.background = ''; } else td.dataset.v = loss(value);
      // One run's cap may be above the sweep's ('resume --run N --max-epochs M').
      const cap = Math.max(maxEpochs, epochsDone + 1), epoch = Math.min(epochsDone + 1, cap);
      // A running cell's note is an expired lease: nobody trains it until another Worker takes it over.
      const text = value != null ? loss(value) : status === window.rnn.status.running ? `epoch ${epoch}/${cap}${note ? ' · ' + note : ''}` : status;
      const bar = status === window.rnn.status.running ? `<span class="bar"><i style="width:${(100 * epochsDone / Math.max(1, cap)).toFixed(1)}%"></i></span>` : '';
      td.innerHTML = `<a href="/runs/${runId}">${esc(text)}</a>${bar}`;
      td.title = `run ${runId}: ${status === window.rnn.status.running ? `running: epoch ${epoch} of ${cap}${note ? ', ' + note : ''}` : note || status}`;
    }
  }

  function recolour() {
    for (const table of root.querySelectorAll('table.loss[data-loss]')) {
      const cells = [...table.querySelectorAll('td[data-v]')];
      const values = cells.map(td => +td.dataset.v);
      const min = Math.min(...values), max = Math.max(...values);
      cells.forEach((td, i) => { td.style.background = colour(values[i], min, max); });
    }
    // The best cell: the lowest test loss among succeeded runs, marked in every table.
    let best = null, bestValue = Infinity;
    for (const td of root.querySelectorAll('table[data-loss="test"] td.s-succeeded[data-v]')) {
      if (+td.dataset.v < bestValue) { bestValue = +td.dataset.v; best = td.dataset.run; }
    }
    for (const td of root.querySelectorAll('td.best')) td.classList.remove('best');
    for (const a of root.querySelectorAll('td[data-run] a')) a.textContent = a.textContent.replace(' ★', '');
    if (best) for (const td of byRun.get(best)) { td.classList.add('best'); td.querySelector('a').textContent += ' ★'; }
  }

  function patchNgram(rows) {
    const body = document.querySelector('#ngram tbody');
    if (!body || rows.length === 0 || body.querySelectorAll('tr').length === rows.length) return;
    const best = Math.min(...rows.map(r => r.testLoss));
    body.innerHTML = rows.map(({ order, testLoss }) => `<tr${testLoss === best ? ' class="best"' : ''}><td>${order}</td><td>${loss(testLoss)}</td></tr>`).join('');
  }

  let timer;
  async function poll() {
    clearTimeout(timer);
    let busy = true;
    try {
      const response = await fetch(`/api/sweeps/${id}/live?since=${encodeURIComponent(since)}`, { cache: 'no-store' });
      if (response.ok) {
        const live = await response.json();
        since = live.now;
        live.cells.forEach(patch);
        if (live.cells.length) recolour();
        document.getElementById('counts').innerHTML = counts(live.counts);
        document.getElementById('progress').innerHTML = progress(live.counts);
        patchNgram(live.ngram);
        busy = Object.entries(live.counts).some(([s, n]) => n > 0 && !final(s)) || live.ngram.length === 0;
      }
    } finally {
      timer = setTimeout(poll, busy ? 2500 : 10000);
    }
  }
  window.rnn.wireButtons(poll);
  timer = setTimeout(poll, 2500);
})();
