/**
 * hindsight's web UI (docs/ui.md). Routes, in the address's fragment so that a place can be shared:
 *   #/                               VMs and recordings
 *   #/recordings/NAME                a recording's timeline
 *   #/recordings/NAME?exit=N         ... standing at exit N
 *   #/vms/ID                         a VM, followed as it runs
 * The server token comes from ?token= once (then the tab keeps it) or from the form shown when it is missing.
 */
import { ApiError, forgetToken, getJson, setToken, takeTokenFromUrl, token } from './api.js';
import { append, clear, h } from './dom.js';
import { homeView, recordingView, vmView, type View } from './views.js';

const root = document.getElementById('app')!;
let current: View | null = null;

function tokenForm(message?: string): void {
  clear(root);
  const input = h('input', { type: 'password', size: 40, autocomplete: 'off', 'data-testid': 'token-input', placeholder: 'server token' });
  const form = h('form', { class: 'token' },
    h('p', {}, message ?? 'The server token is needed (hindsight serve prints a link with it; the token is in DATA/server-token).'),
    input, h('button', { type: 'submit' }, 'open'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    setToken(input.value.trim());
    void route();
  });
  append(root, form);
  input.focus();
}

function parseHash(): { path: string[]; query: URLSearchParams } {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, query = ''] = raw.split('?', 2);
  return { path: path.split('/').filter((p) => p !== '').map(decodeURIComponent), query: new URLSearchParams(query) };
}

async function route(): Promise<void> {
  current?.close();
  current = null;
  if (token() === null) return tokenForm();
  try {
    await getJson('/v1/vms');
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      forgetToken();
      return tokenForm('That token was refused. The server token is needed.');
    }
    throw e;
  }
  const { path, query } = parseHash();
  let view: View;
  if (path[0] === 'recordings' && path[1] !== undefined) {
    const exit = query.get('exit');
    view = recordingView(path[1], exit !== null && /^[0-9]+$/.test(exit) ? Number(exit) : null);
  } else if (path[0] === 'vms' && path[1] !== undefined) view = vmView(path[1]);
  else view = homeView();
  current = view;
  clear(root);
  append(root, view.el);
}

takeTokenFromUrl();
window.addEventListener('hashchange', () => void route());
void route();
