// The sweeps list: every 3 s swaps in the rows the server renders at /fragments/sweeps (counts, progress, best loss).
(() => {
  const body = document.querySelector('#sweeps tbody');
  if (!body) return;
  async function poll() {
    try {
      const rows = await window.rnn.fragment('/fragments/sweeps');
      if (rows) body.replaceChildren(...rows.content.children);
    } finally {
      setTimeout(poll, 3000);
    }
  }
  setTimeout(poll, 3000);
})();
