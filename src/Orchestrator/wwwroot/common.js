// Shared by the dashboard pages: status tags, progress bars, loss formatting and POST buttons.
window.rnn = (() => {
  // The run statuses come from the server's one definition (Html.RunStatusJson): one key per status, and final.
  const status = JSON.parse(document.body.dataset.runStatus);
  const statuses = Object.keys(status).filter(s => s !== 'final');
  const final = s => status.final.includes(s);
  const esc = s => String(s ?? '').replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
  const loss = v => v == null ? '' : Number(v).toFixed(3);
  const counts = c => statuses.filter(s => c[s] > 0).map(s => `<span class="tag s-${s}">${c[s]} ${s}</span>`).join(' ');
  function progress(c) {
    const total = statuses.reduce((n, s) => n + (c[s] || 0), 0), done = statuses.filter(final).reduce((n, s) => n + (c[s] || 0), 0);
    const parts = [status.succeeded, status.diverged, status.failed, status.cancelled, status.running].filter(s => c[s] > 0)
      .map(s => `<i class="s-${s}" style="width:${(100 * c[s] / Math.max(1, total)).toFixed(2)}%"></i>`).join('');
    return `<div class="progress" title="${done} of ${total} cells finished">${parts}</div><small>${done}/${total}</small>`;
  }
  // Green for the lowest value, red for the highest: the server's SweepPage.Colour.
  const colour = (v, min, max) => `hsl(${Math.round(120 * (1 - (max > min ? (v - min) / (max - min) : 0)))},60%,82%)`;
  // Every write carries the page's antiforgery token; the server refuses writes from other origins or without it.
  const token = document.querySelector('meta[name="csrf-token"]')?.content || '';
  const send = (url, options = {}) => fetch(url, { ...options, headers: { ...(options.headers || {}), RequestVerificationToken: token } });
  function wireButtons(after) {
    for (const id of ['cancel', 'resume']) {
      const button = document.getElementById(id);
      if (!button) continue;
      button.addEventListener('click', async () => {
        const out = document.getElementById('action-result');
        const response = await send(button.dataset.url, { method: 'POST' });
        const body = await response.json().catch(() => ({}));
        out.textContent = response.ok
          ? (id === 'cancel' ? `${body.cancelled} cells cancelled` : `${body.enqueued} cells enqueued again`)
          : `failed: ${response.status} ${body.title || ''}`;
        if (after) after();
      });
    }
  }
  return { status, statuses, final, esc, loss, counts, progress, colour, wireButtons, send };
})();
