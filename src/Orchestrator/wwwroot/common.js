// Shared by the dashboard pages: run statuses, the antiforgery token, fragments and the cancel/resume buttons.
// The server renders all markup (pages and the fragments of live updates); the scripts only fetch and swap it in.
window.rnn = (() => {
  // The run statuses come from the server's one definition (Format.RunStatusJson): one key per status, and final.
  const status = JSON.parse(document.body.dataset.runStatus);
  const final = s => status.final.includes(s);
  // Every write carries the page's antiforgery token; the server refuses writes from other origins or without it.
  const token = document.querySelector('meta[name="csrf-token"]')?.content || '';
  const send = (url, options = {}) => fetch(url, { ...options, headers: { ...(options.headers || {}), RequestVerificationToken: token } });
  // A server-rendered fragment, parsed without running anything in it: its root elements (a <template>'s content
  // when it is one).
  async function fragment(url) {
    const response = await fetch(url, { cache: 'no-store' });
    if (!response.ok) return null;
    const holder = document.createElement('template');
    holder.innerHTML = await response.text();
    const first = holder.content.firstElementChild;
    return first && first.tagName === 'TEMPLATE' ? { root: first, content: first.content } : { root: first, content: holder.content };
  }
  // Replaces the element of the same id on the page; what the last action said stays.
  function replaceById(element) {
    const old = element.id && document.getElementById(element.id);
    if (!old) return;
    const said = old.querySelector('#action-result')?.textContent;
    old.replaceWith(element);
    if (said) element.querySelector('#action-result').textContent = said;
  }
  // Cancel and resume (their buttons come and go with live updates, so clicks are caught on the document).
  let after = null;
  document.addEventListener('click', async event => {
    const button = event.target.closest('#cancel, #resume');
    if (!button) return;
    const response = await send(button.dataset.url, { method: 'POST' });
    const body = await response.json().catch(() => ({}));
    const out = document.getElementById('action-result');
    if (out) {
      out.textContent = response.ok
        ? (button.id === 'cancel' ? `${body.cancelled} cells cancelled` : `${body.enqueued} cells enqueued again`)
        : `failed: ${response.status} ${body.title || ''}`;
    }
    if (after) after();
  });
  const onAction = f => { after = f; };
  return { status, final, send, fragment, replaceById, onAction };
})();
