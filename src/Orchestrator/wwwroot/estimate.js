// A sweep's estimated time to finish: refreshed from GET /api/sweeps/{id}/estimate every 5 s until it has finished.
(() => {
  const element = document.getElementById('estimate');
  if (!element) return;
  async function refresh() {
    const response = await fetch(element.dataset.url).catch(() => null);
    if (!response || !response.ok) return;
    const estimate = await response.json();
    element.textContent = estimate.text;
    if (estimate.basis !== 'finished') setTimeout(refresh, 5000);
  }
  setTimeout(refresh, 5000);
})();
