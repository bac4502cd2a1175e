// The sweep page: every 2.5 s (10 s once nothing can change) fetches /fragments/sweeps/{id}/live, the parts that
// changed rendered by the server, and swaps them in: counts, progress, buttons, best cell, n-gram baseline, the
// cells of each loss table and each table's colour scale. No reload. The learning-curve chart redraws with them.
(() => {
  const root = document.getElementById('sweep');
  if (!root) return;
  const { fragment, replaceById, onAction } = window.rnn;
  const id = root.dataset.sweep;
  let since = root.dataset.now, best = root.dataset.best || '', drawn = '';

  // The learning-curve chart: which runs and which loss, as the image's address (the server draws it).
  const curves = document.getElementById('curves'), choice = document.getElementById('curve-runs');
  function redraw(stamp) {
    if (!curves || !choice) return;
    const data = new FormData(choice);
    const runs = data.getAll('run').join(',');
    curves.src = `${choice.dataset.url}?loss=${data.get('loss')}&runs=${runs}${stamp ? `&t=${encodeURIComponent(stamp)}` : ''}`;
  }
  choice?.addEventListener('change', () => redraw());

  let timer;
  async function poll() {
    clearTimeout(timer);
    let busy = true;
    try {
      const live = await fragment(`/fragments/sweeps/${id}/live?since=${encodeURIComponent(since)}${best ? `&best=${best}` : ''}`);
      if (live) {
        const { root: template, content } = live;
        since = template.dataset.now;
        best = template.dataset.best || '';
        busy = template.dataset.busy === 'true';
        // Redraw the chart only when a cell moved on (an epoch, a status, a loss): read before the cells move to the page.
        const state = [...content.querySelectorAll('table[data-loss="test"] td[data-run]')].map(td => td.outerHTML).join('');
        for (const table of content.querySelectorAll('table[data-loss]')) {
          const target = root.querySelector(`table.loss[data-loss="${table.dataset.loss}"]`);
          if (!target) continue;
          target.setAttribute('style', table.getAttribute('style'));
          for (const td of [...table.querySelectorAll('td[data-run]')]) {
            target.querySelector(`td[data-run="${td.dataset.run}"]`)?.replaceWith(td);
          }
        }
        for (const element of [...content.children]) if (element.id) replaceById(element);
        if (state !== drawn) { drawn = state; redraw(since); }
      }
    } finally {
      timer = setTimeout(poll, busy ? 2500 : 10000);
    }
  }
  onAction(poll);
  timer = setTimeout(poll, 2500);
})();
