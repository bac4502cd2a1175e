// The sweeps list: refreshes the counts and progress bars from GET /api/sweeps every 3 s.
(() => {
  const { counts, progress } = window.rnn;
  async function poll() {
    try {
      const response = await fetch('/api/sweeps', { cache: 'no-store' });
      if (!response.ok) return;
      for (const s of await response.json()) {
        const row = document.querySelector(`#sweeps tr[data-sweep="${s.id}"]`);
        if (!row) continue;
        row.querySelector('td.counts').innerHTML = counts(s.runs);
        row.cells[4].innerHTML = progress(s.runs);
      }
    } finally {
      setTimeout(poll, 3000);
    }
  }
  setTimeout(poll, 3000);
})();
