// mockftpd's live page. Plain JavaScript, no dependencies, served by the
// admin API with the page (GET /ui/). It reads GET /api/events, a stream of
// JSON lines, with fetch (which, unlike EventSource, can send the token),
// and renders the sessions, the selected session's timeline and the
// scenario. Nothing the server sends is ever parsed as HTML: text goes in
// with textContent.
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);
  document.documentElement.classList.replace('no-js', 'js');

  // ------------------------------------------------------------ token
  // Asked once, kept in this tab (sessionStorage), sent as a bearer token.
  // A start-up URL may carry it in its fragment (#token=...), which never
  // reaches a server; the page takes it out of the address bar at once.
  const TOKEN_KEY = 'mockftpd-admin-token';
  const tokenRequired = document.body.dataset.token === 'required';
  {
    const m = /(?:^#|&)token=([^&]*)/.exec(location.hash);
    if (m) {
      sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1]));
      history.replaceState(null, '', location.pathname + location.search);
    }
  }
  let token = sessionStorage.getItem(TOKEN_KEY) || '';

  class AuthError extends Error {}

  async function errorText(res) {
    try {
      const body = await res.json();
      if (body.errors && body.errors.length > 1) return body.error + '\n' + body.errors.join('\n');
      return body.error || res.statusText;
    } catch {
      return res.status + ' ' + res.statusText;
    }
  }

  async function api(path, opts = {}) {
    const headers = new Headers(opts.headers || {});
    if (token) headers.set('Authorization', 'Bearer ' + token);
    const res = await fetch(path, { ...opts, headers, cache: 'no-store', signal: opts.signal });
    if (res.status === 401) throw new AuthError(await errorText(res));
    return res;
  }

  // ------------------------------------------------------------ state
  const S = {
    entries: new Map(), // seq -> journal entry (latest version)
    sessions: new Map(), // number -> summary
    status: null, // the scenario's side
    selected: null, // a session number, or null for all
    cursor: '',
    fetched: new Set(), // sessions read in full through /api/journal
    firesSeen: new Map(), // rule index -> fires, to flash the rules that fire
    fresh: new Set(), // seqs that arrived live (highlighted once)
    started: false,
  };
  const MAX_ROWS = 500; // timeline rows shown at once (the newest that pass the filters)
  const MAX_KEPT = 20000; // entries the page keeps (older ones are read again when a session needs them)

  // ------------------------------------------------------------ helpers
  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    if (attrs) {
      for (const [k, v] of Object.entries(attrs)) {
        if (v === undefined || v === null || v === false) continue;
        if (k === 'class') e.className = v;
        else if (k === 'text') e.textContent = v;
        else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
        else if (k in e && typeof v !== 'string') e[k] = v;
        else e.setAttribute(k, v === true ? '' : v);
      }
    }
    for (const k of kids) if (k !== null && k !== undefined && k !== false) e.append(k);
    return e;
  }
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const pad = (n, w = 2) => String(n).padStart(w, '0');
  function clock(iso) {
    if (!iso) return '';
    const d = new Date(iso);
    return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
  }
  const ms = (a, b) => new Date(b).getTime() - new Date(a).getTime();
  function duration(msec) {
    if (msec < 1) return '<1 ms';
    if (msec < 1000) return Math.round(msec) + ' ms';
    if (msec < 60000) return (msec / 1000).toFixed(msec < 10000 ? 2 : 1) + ' s';
    return Math.floor(msec / 60000) + ' min ' + Math.round((msec % 60000) / 1000) + ' s';
  }
  function bytes(n) {
    if (n < 1024) return n + ' B';
    const units = ['KiB', 'MiB', 'GiB', 'TiB'];
    let u = -1;
    do { n /= 1024; u++; } while (n >= 1024 && u < units.length - 1);
    return n.toFixed(n < 10 ? 1 : 0) + ' ' + units[u];
  }
  // hostOf drops the port of "host:port" or "[v6]:port"
  const hostOf = (a) => (a || '').replace(/^\[(.*)\]:\d+$/, '$1').replace(/^([^:]*):\d+$/, '$1');
  const isEvent = (e) => e.command.startsWith('<');
  const lastCode = (e) => (e.codes && e.codes.length ? e.codes[e.codes.length - 1] : 0);
  const codeClass = (c) => 'c' + String(c)[0];
  function ordinal(n) {
    const s = n % 100 >= 11 && n % 100 <= 13 ? 'th' : ({ 1: 'st', 2: 'nd', 3: 'rd' })[n % 10] || 'th';
    return n + s;
  }

  // replyGroups splits an entry's reply lines into one reply per code: a
  // reply ends at the line "CODE text" (as admin/sessions.go replyGroups).
  function replyGroups(e) {
    const out = [];
    let lines = e.replies || [];
    (e.codes || []).forEach((code, i) => {
      let end = lines.length;
      if (i < e.codes.length - 1) {
        const c = String(code);
        const j = lines.findIndex((l) => l.startsWith(c) && (l.length === 3 || l[3] === ' '));
        if (j >= 0) end = j + 1;
      }
      out.push({ code, lines: lines.slice(0, end) });
      lines = lines.slice(end);
    });
    return out;
  }

  // responseIndex is which of a rule's responses its fire-th firing used
  // (as internal/rules take does).
  function responseIndex(rule, fire) {
    const n = rule.responses;
    if (!n || !fire) return -1;
    let i = fire - 1;
    if (rule.exhausted === 'cycle') i %= n;
    else if (i >= n) i = n - 1;
    return i;
  }

  function ruleByLabel(label) {
    if (!S.status || !label) return null;
    return S.status.rules.find((r) => r.label === label) || null;
  }

  function showMessage(text, kind = 'ok') {
    const m = $('message');
    m.textContent = text;
    m.className = 'message ' + kind;
    m.hidden = false;
    clearTimeout(showMessage.timer);
    if (kind === 'ok') showMessage.timer = setTimeout(() => { m.hidden = true; }, 6000);
  }

  function setLive(kind, text) {
    const l = $('live');
    l.className = 'live ' + kind;
    $('live-text').textContent = text;
  }

  // ------------------------------------------------------------ the stream
  function handle(ev) {
    switch (ev.type) {
      case 'reset':
        S.entries.clear();
        S.sessions.clear();
        S.fetched.clear();
        S.fresh.clear();
        break;
      case 'entry':
        if (S.started) S.fresh.add(ev.entry.seq);
        S.entries.set(ev.entry.seq, ev.entry);
        break;
      case 'sessions':
        for (const s of ev.sessions || []) S.sessions.set(s.number, s);
        break;
      case 'status':
        S.status = ev.status;
        break;
      case 'cursor':
        S.cursor = ev.cursor;
        S.started = true;
        break;
      default: // ping, bye
    }
  }

  async function follow() {
    for (let failures = 0; ; ) {
      try {
        setLive('connecting', S.started ? 'Reconnecting…' : 'Connecting…');
        const res = await api('/api/events?cursor=' + encodeURIComponent(S.cursor));
        if (!res.ok) throw new Error(await errorText(res));
        setLive('on', 'Live');
        failures = 0;
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buf = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += value;
          let i;
          while ((i = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, i);
            buf = buf.slice(i + 1);
            if (line) handle(JSON.parse(line));
          }
          forgetOldest();
          scheduleRender();
        }
      } catch (e) {
        if (e instanceof AuthError) {
          setLive('auth', 'Needs the admin token');
          askToken(token ? e.message : '');
          return;
        }
        failures++;
        setLive('down', 'Disconnected (' + e.message + '): retrying');
      }
      // a stream ends every few minutes by design: resume at once the
      // first time, then back off up to 10 s while the server is away
      await sleep(failures === 0 ? 50 : Math.min(10000, 250 * 2 ** Math.min(failures, 6)));
    }
  }

  // forgetOldest keeps the page's memory bounded on a long run: the oldest
  // entries go (a Map iterates in the order keys were first set, which is
  // seq order), and their sessions are read again if picked
  function forgetOldest() {
    if (S.entries.size <= MAX_KEPT) return;
    let extra = S.entries.size - MAX_KEPT;
    for (const [seq, e] of S.entries) {
      if (extra-- <= 0) break;
      S.entries.delete(seq);
      S.fetched.delete(e.session);
    }
  }

  // ------------------------------------------------------------ rendering
  let renderQueued = false;
  function scheduleRender() {
    if (renderQueued) return;
    renderQueued = true;
    requestAnimationFrame(() => {
      renderQueued = false;
      render();
    });
  }

  function render() {
    renderHeader();
    renderSessions();
    renderTimeline();
    renderScenario();
    S.fresh.clear();
  }

  function renderHeader() {
    const st = S.status;
    if (!st) return;
    const sc = st.scenario;
    $('scenario-name').textContent = sc.name || (sc.source && !sc.source.startsWith('<') ? sc.source : 'command line');
    $('state').textContent = st.state || '(initial)';
    $('ftp-addr').textContent = st.server.addr + (st.server.tls !== 'none' ? ' (FTPS ' + st.server.tls + ')' : '');
    $('scenario-desc').textContent = sc.description || '';
    const sel = S.selected !== null && S.sessions.has(S.selected);
    for (const id of ['act-transcript', 'act-text', 'act-scenario']) $(id).disabled = !sel;
  }

  // reconcile puts nodes in parent in order, moving only what must move, so
  // that focus and open <details> survive a render.
  function reconcile(parent, nodes) {
    let i = 0;
    for (const n of nodes) {
      const at = parent.children[i];
      if (at !== n) parent.insertBefore(n, at || null);
      i++;
    }
    while (parent.children.length > nodes.length) parent.lastElementChild.remove();
  }

  // ---- sessions
  const sessionRows = new Map(); // number -> {summary, row}

  function sessionRow(s) {
    const prev = sessionRows.get(s.number);
    if (prev && prev.summary === s) return prev.row;
    const pick = el('button', {
      type: 'button', class: 'pick', text: String(s.number),
      'aria-label': `Session ${s.number}, ${s.open ? 'open' : 'ended: ' + s.reason}, ${s.commands} commands`,
      onclick: () => select(S.selected === s.number ? null : s.number),
      onkeydown: sessionKeys,
    });
    const who = el('td', null,
      el('span', { class: 'client', text: hostOf(s.client) || '?', title: s.client }),
      s.tls ? el('span', { class: 'badge tls', text: 'TLS', title: 'the control connection is encrypted' }) : null,
      el('br'),
      el('span', { class: 'user', text: s.user || '(no user)' }));
    const when = el('td', null,
      el('time', { datetime: s.start, text: clock(s.start) }), el('br'),
      s.open ? el('span', { class: 'badge live-b', text: 'open' })
        : el('span', { class: 'reason ' + reasonClass(s.reason), text: s.reason, title: 'ended ' + clock(s.end) }));
    const n = el('td', { class: 'num' }, String(s.commands),
      s.failed ? el('br') : null, s.failed ? el('span', { class: 'bad', text: s.failed + ' failed' }) : null);
    const row = el('tr', { class: s.open ? 'open' : 'closed', 'data-session': String(s.number) },
      el('td', { class: 'n' }, pick), who, when, n);
    row.addEventListener('click', (ev) => { if (ev.target === row || ev.target.tagName !== 'BUTTON') pick.click(); });
    sessionRows.set(s.number, { summary: s, row });
    return row;
  }

  function reasonClass(r) {
    if (r === 'reset by rule' || r === 'server error' || r === 'tls failed') return 'bad';
    if (r === 'closed by rule' || r === 'idle timeout' || r === 'server closed') return 'warn';
    return '';
  }

  function sessionKeys(ev) {
    const rows = [...$('sessions-body').querySelectorAll('button.pick')];
    const i = rows.indexOf(ev.currentTarget);
    let j = -1;
    if (ev.key === 'ArrowDown' || ev.key === 'j') j = Math.min(rows.length - 1, i + 1);
    else if (ev.key === 'ArrowUp' || ev.key === 'k') j = Math.max(0, i - 1);
    else if (ev.key === 'Home') j = 0;
    else if (ev.key === 'End') j = rows.length - 1;
    if (j < 0) return;
    ev.preventDefault();
    rows[j].focus();
    select(Number(rows[j].textContent));
  }

  function userFilter() {
    return $('f-user').value.trim().toLowerCase();
  }

  function renderSessions() {
    const list = [...S.sessions.values()].sort((a, b) => b.number - a.number);
    const u = userFilter();
    const shown = list.filter((s) => !u || (s.user || '').toLowerCase().includes(u));
    $('sessions-count').textContent = shown.length === list.length ? String(list.length) : `${shown.length} of ${list.length}`;
    const body = $('sessions-body');
    if (!shown.length) {
      const none = el('tr', { class: 'empty' }, el('td', { colspan: '4' },
        list.length ? 'No session of that user.' : 'No session yet: connect a client to ',
        list.length ? null : el('code', { text: S.status ? S.status.server.addr : 'the FTP address' }),
        list.length ? null : '.'));
      reconcile(body, [none]);
    } else {
      reconcile(body, shown.map(sessionRow));
    }
    for (const { row } of sessionRows.values()) {
      const on = Number(row.dataset.session) === S.selected;
      row.classList.toggle('selected', on);
      row.querySelector('button.pick').setAttribute('aria-pressed', on ? 'true' : 'false');
    }
    // the session filter's options
    const sel = $('f-session');
    const want = ['', ...list.map((s) => String(s.number))];
    const have = [...sel.options].map((o) => o.value);
    if (want.join() !== have.join()) {
      sel.replaceChildren(...want.map((v) => el('option', { value: v, text: v ? `#${v} ${S.sessions.get(Number(v)).user || ''}`.trim() : 'all' })));
    }
    sel.value = S.selected === null ? '' : String(S.selected);
  }

  // ---- timeline
  const entryItems = new Map(); // seq -> {entry, item}

  function filters() {
    const cmd = $('f-command').value.split(',').map((c) => c.trim().toUpperCase()).filter(Boolean);
    const code = $('f-code').value.trim().toLowerCase();
    const text = $('f-text').value.trim().toLowerCase();
    return { user: userFilter(), cmd, code, text };
  }

  function codeMatches(e, want) {
    if (!want) return true;
    return (e.codes || []).some((c) => {
      const s = String(c);
      if (/^[1-6]xx$/.test(want)) return s[0] === want[0];
      return s.startsWith(want);
    });
  }

  function passes(e, f) {
    if (S.selected !== null && e.session !== S.selected) return false;
    if (f.user && !(e.user || '').toLowerCase().includes(f.user)) return false;
    if (f.cmd.length && !f.cmd.includes(e.command.toUpperCase())) return false;
    if (!codeMatches(e, f.code)) return false;
    if (f.text) {
      const hay = [e.command, e.arg, e.user, e.rule, e.reason, ...(e.replies || [])].join('\n').toLowerCase();
      if (!hay.includes(f.text)) return false;
    }
    return true;
  }

  function entryItem(e, sessionStart, showSession) {
    const prev = entryItems.get(e.seq);
    const key = e; // a new version of an entry is a new object
    if (prev && prev.entry === key && prev.showSession === showSession) return prev.item;
    const item = buildEntry(e, sessionStart, showSession);
    if (prev) {
      // keep an open "why" open across versions
      const was = prev.item.querySelector('details');
      const now = item.querySelector('details');
      if (was && now) now.open = was.open;
    }
    entryItems.set(e.seq, { entry: key, item, showSession });
    return item;
  }

  function buildEntry(e, sessionStart, showSession) {
    const ev = isEvent(e);
    const lc = lastCode(e);
    const classes = ['entry'];
    if (ev) classes.push('event');
    if (e.command === '<disconnect>') classes.push('end', reasonClass(e.reason));
    if (!ev && lc >= 400) classes.push('failed');
    if (e.rule) classes.push('fired');
    if (!ev && !e.done) classes.push('pending');
    const rel = sessionStart ? '+' + (ms(sessionStart, e.time) / 1000).toFixed(3) + ' s' : '';
    const head = el('div', { class: 'head' },
      el('time', { datetime: e.time, class: 't', title: clock(e.time), text: showSession ? clock(e.time) : rel || clock(e.time) }),
      showSession ? el('span', { class: 'sess', text: '#' + e.session }) : null);
    if (e.command === '<connect>') {
      head.append(el('span', { class: 'what', text: 'connected' }), e.arg ? el('span', { class: 'muted', text: ' from ' + e.arg }) : null);
    } else if (e.command === '<disconnect>') {
      head.append(el('span', { class: 'what', text: 'session ended: ' }), el('strong', { text: e.reason }));
    } else {
      head.append(el('code', { class: 'cmd', text: e.command }));
      if (e.arg) head.append(' ', el('code', { class: 'arg', text: e.arg + (e.arg_len ? ` … (${e.arg_len} bytes)` : '') }));
    }
    if (e.done && !ev) {
      const took = ms(e.time, e.done);
      head.append(el('span', { class: 'took' + (took >= 1000 ? ' slow' : ''), text: duration(took), title: 'from the command to its final reply' }));
    } else if (!ev && !e.done) {
      head.append(el('span', { class: 'took waiting', text: 'waiting for the reply…' }));
    }
    if (e.user && showSession) head.append(el('span', { class: 'user', text: e.user }));
    if (e.rule) head.append(el('span', { class: 'badge rule', text: 'rule: ' + e.rule }));
    const li = el('li', { class: classes.join(' '), 'data-seq': String(e.seq), 'data-session': String(e.session) }, head);

    const groups = replyGroups(e);
    if (groups.length) {
      li.append(el('ul', { class: 'replies', 'aria-label': 'replies' }, ...groups.map((g) =>
        el('li', { class: 'reply ' + codeClass(g.code) + (g.code < 200 ? ' prelim' : '') },
          el('span', { class: 'dir', 'aria-hidden': 'true', text: '←' }),
          el('code', { text: g.lines.join('\n') }),
          g.code < 200 ? el('span', { class: 'kind', text: 'preliminary' }) : null))));
    }
    const rule = ruleByLabel(e.rule);
    const k = rule ? responseIndex(rule, e.fire) : -1;
    if (e.transfer) li.append(transferBox(e, rule, k));
    if (e.rule) li.append(whyBox(e, rule, k));
    return li;
  }

  function transferBox(e, rule, k) {
    const t = e.transfer;
    const up = t.bytes_in > 0 && t.bytes_out === 0;
    const n = up ? t.bytes_in : t.bytes_out;
    const took = e.done ? ms(e.time, e.done) : 0;
    const parts = [
      el('span', { class: 'badge', text: t.mode }),
      t.tls ? el('span', { class: 'badge tls', text: 'TLS' }) : null,
      el('span', { text: (up ? '↑ uploaded ' : '↓ downloaded ') + bytes(n) }),
    ];
    if (t.bytes_in && t.bytes_out) parts.push(el('span', { text: `(${bytes(t.bytes_in)} in, ${bytes(t.bytes_out)} out)` }));
    if (took) parts.push(el('span', { text: 'in ' + duration(took) }));
    if (took && n) parts.push(el('span', { text: bytes(Math.round((n * 1000) / took)) + '/s' }));
    parts.push(el('span', { class: 'badge end-' + t.end, text: t.end }));
    const fault = rule && rule.faults && k >= 0 ? rule.faults[k] : '';
    if (fault) parts.push(el('span', { class: 'fault', text: 'fault: ' + fault }));
    return el('div', { class: 'transfer', 'aria-label': 'data transfer' }, ...parts);
  }

  function whyBox(e, rule, k) {
    const sum = el('summary', null, 'Why: rule ', el('strong', { text: e.rule }), ' matched',
      e.fire ? ` (its ${ordinal(e.fire)} firing${rule && rule.responses > 1 && k >= 0 ? `, response ${k + 1} of ${rule.responses}` : ''})` : '');
    const d = el('details', { class: 'why' }, sum);
    if (rule) {
      d.append(el('pre', { class: 'yaml', text: rule.yaml }));
      if (rule.pos) d.append(el('p', { class: 'muted small', text: 'defined at ' + rule.pos }));
    } else {
      d.append(el('p', { class: 'muted small', text: 'That rule is no longer in the scenario in force.' }));
    }
    return d;
  }

  function sessionCard(s) {
    const card = $('session-card');
    if (!s) {
      card.hidden = true;
      return;
    }
    card.hidden = false;
    const item = (k, v, cls) => el('div', { class: cls }, el('dt', { text: k }), el('dd', null, v));
    card.replaceChildren(el('dl', { class: 'card' },
      item('Client', s.client || '?'),
      item('User', s.user || '(none)'),
      item('TLS', s.tls ? 'yes' : 'no'),
      item('Started', clock(s.start)),
      item('Ended', s.open ? 'still open' : `${clock(s.end)}: ${s.reason}`, s.open ? '' : reasonClass(s.reason)),
      item('Commands', `${s.commands} (${s.failed} failed, ${s.fired} by a rule)`),
      item('Transfers', s.transfers ? `${s.transfers}: ↓ ${bytes(s.bytes_out)}, ↑ ${bytes(s.bytes_in)}` : 'none')));
  }

  async function loadSession(n) {
    // the stream starts with the newest entries only: an older session's
    // entries come from the journal itself
    const s = S.sessions.get(n);
    if (!s || S.fetched.has(n)) return;
    let have = 0;
    for (const e of S.entries.values()) if (e.session === n) have++;
    if (have >= s.entries) return;
    S.fetched.add(n);
    try {
      const res = await api('/api/journal?session=' + n);
      if (!res.ok) throw new Error(await errorText(res));
      const body = await res.json();
      for (const e of body.entries) if (!S.entries.has(e.seq)) S.entries.set(e.seq, e);
      scheduleRender();
    } catch (e) {
      S.fetched.delete(n);
      showMessage('Reading session ' + n + ': ' + e.message, 'error');
    }
  }

  function renderTimeline() {
    const f = filters();
    const s = S.selected !== null ? S.sessions.get(S.selected) : null;
    sessionCard(s);
    if (s) loadSession(s.number); // a session picked before its summary came
    const all = [...S.entries.values()].filter((e) => passes(e, f)).sort((a, b) => a.seq - b.seq);
    const shown = all.length > MAX_ROWS ? all.slice(all.length - MAX_ROWS) : all;
    const active = f.user || f.cmd.length || f.code || f.text;
    $('timeline-what').textContent = s ? `session ${s.number}` : 'all sessions';
    $('f-count').textContent = active || all.length > MAX_ROWS
      ? `${all.length} ${all.length === 1 ? 'entry' : 'entries'}${all.length > MAX_ROWS ? `, the newest ${MAX_ROWS} shown` : ''}` : '';
    const starts = new Map();
    for (const x of S.sessions.values()) starts.set(x.number, x.start);
    const items = shown.map((e) => {
      const li = entryItem(e, starts.get(e.session), s === null);
      li.classList.toggle('fresh', S.fresh.has(e.seq));
      return li;
    });
    // follow the newest entries while the reader is at the bottom
    const pane = scrollPane($('timeline'));
    const atEnd = pane.scrollHeight - pane.scrollTop - pane.clientHeight < 40;
    reconcile($('entries'), items);
    if (atEnd && S.started && S.fresh.size) pane.scrollTop = pane.scrollHeight;
    $('timeline-empty').hidden = items.length > 0;
    $('timeline-empty').textContent = S.entries.size
      ? 'Nothing passes the filters.' : 'Pick a session, or see every session\u2019s commands here as they come.';
    // forget rows not shown, so the map does not grow for ever
    if (entryItems.size > 4 * MAX_ROWS) {
      const keep = new Set(shown.map((e) => e.seq));
      for (const seq of entryItems.keys()) if (!keep.has(seq)) entryItems.delete(seq);
    }
  }

  // ---- scenario
  function renderScenario() {
    const st = S.status;
    if (!st) return;
    // expectations
    const exp = $('expectations');
    const badge = $('verify-badge');
    if (!st.expectations.length) {
      exp.replaceChildren(el('li', { class: 'muted', text: 'None in this scenario.' }));
      badge.textContent = '';
      badge.className = 'badge';
    } else {
      const unmet = st.expectations.filter((x) => !x.met).length;
      badge.textContent = unmet ? `${unmet} unmet` : 'all met';
      badge.className = 'badge ' + (unmet ? 'bad-b' : 'ok-b');
      exp.replaceChildren(...st.expectations.map((x) => el('li', { class: x.met ? 'met' : 'unmet' },
        el('span', { class: 'mark', 'aria-hidden': 'true', text: x.met ? '✓' : '✗' }),
        el('span', { class: 'sr', text: x.met ? 'met: ' : 'unmet: ' }),
        el('span', { text: x.message }))));
    }
    // rules
    $('rules-count').textContent = st.rules_total > st.rules.length ? `${st.rules.length} of ${st.rules_total}` : String(st.rules_total);
    const rules = $('rules');
    if (!st.rules.length) {
      rules.replaceChildren(el('li', { class: 'muted', text: 'No rules: every command reaches the real FTP server.' }));
    } else {
      rules.replaceChildren(...st.rules.map((r) => {
        const before = S.firesSeen.get(r.index);
        const fired = before !== undefined && r.fires > before;
        S.firesSeen.set(r.index, r.fires);
        const badges = el('div', { class: 'rule-badges' },
          el('span', { class: 'badge' + (r.fires ? ' ok-b' : ''), text: `fired ${r.fires}×` }),
          r.remaining !== undefined ? el('span', { class: 'badge', text: `${r.remaining} of ${r.times} left` }) : null,
          r.responses > 1 ? el('span', { class: 'badge', text: `next: response ${Math.min(r.next, r.responses - 1) + 1}/${r.responses}` }) : null,
          r.done ? el('span', { class: 'badge bad-b', text: 'done' }) : null,
          r.next_state ? el('span', { class: 'badge', text: '→ ' + r.next_state }) : null);
        return el('li', { class: 'rule' + (fired ? ' fresh' : '') + (r.done ? ' spent' : ''), 'data-rule': r.label },
          el('div', { class: 'rule-head' }, el('strong', { text: r.label }), r.pos ? el('span', { class: 'muted small', text: ' ' + r.pos }) : null),
          badges,
          el('pre', { class: 'yaml', text: r.yaml }));
      }));
    }
    // near misses
    const near = $('near');
    if (!st.unmatched.length) {
      near.replaceChildren(el('li', { class: 'muted', text: 'None.' }));
    } else {
      near.replaceChildren(...st.unmatched.map((n) => el('li', null,
        el('code', { text: `#${n.session} ${n.command}${n.arg ? ' ' + n.arg : ''}` }),
        el('span', { text: ' — nearest rule ' }), el('strong', { text: n.rule }), el('span', { text: ': ' + n.why }))));
    }
  }

  // scrollPane is what scrolls an element: the panel itself on a wide
  // window, the page on a narrow one
  function scrollPane(e) {
    return getComputedStyle(e).overflowY === 'auto' ? e : document.scrollingElement;
  }

  // ------------------------------------------------------------ selection
  function select(n) {
    const before = S.selected;
    S.selected = n !== null && S.sessions.has(n) ? n : null;
    if (S.selected !== before && scrollPane($('timeline')) === $('timeline')) $('timeline').scrollTop = 0;
    if (S.selected !== null) loadSession(S.selected);
    const url = new URL(location.href);
    if (S.selected === null) url.searchParams.delete('session');
    else url.searchParams.set('session', S.selected);
    history.replaceState(null, '', url);
    render();
  }

  // ------------------------------------------------------------ actions
  async function download(path, fallbackName) {
    try {
      const res = await api(path);
      if (!res.ok) throw new Error(await errorText(res));
      const cd = res.headers.get('Content-Disposition') || '';
      const m = /filename="([^"]+)"/.exec(cd);
      const blob = await res.blob();
      const a = el('a', { href: URL.createObjectURL(blob), download: m ? m[1] : fallbackName });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(a.href), 10000);
      showMessage('Downloaded ' + (m ? m[1] : fallbackName));
    } catch (e) {
      showMessage(e.message, 'error');
    }
  }

  $('act-transcript').addEventListener('click', () => download(`/api/sessions/${S.selected}/transcript`, `session-${S.selected}.json`));
  $('act-text').addEventListener('click', () => download(`/api/sessions/${S.selected}/transcript?format=text`, `session-${S.selected}.txt`));
  $('act-scenario').addEventListener('click', () => download(`/api/sessions/${S.selected}/scenario`, `session-${S.selected}.yaml`));

  $('act-reset').addEventListener('click', () => $('reset-dialog').showModal());
  $('reset-dialog').addEventListener('close', async () => {
    if ($('reset-dialog').returnValue !== 'reset') return;
    try {
      const res = await api('/api/reset', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
      if (!res.ok) throw new Error(await errorText(res));
      select(null);
      showMessage('Reset: the journal, counters, state and files start again.');
    } catch (e) {
      showMessage(e.message, 'error');
    }
  });

  let builtins = null;
  $('act-load').addEventListener('click', async () => {
    $('load-error').hidden = true;
    $('load-dialog').showModal();
    if (builtins) return;
    try {
      const res = await api('/api/builtins');
      if (!res.ok) throw new Error(await errorText(res));
      builtins = (await res.json()).builtins;
      const sel = $('load-builtin');
      const groups = new Map();
      for (const b of builtins) {
        const g = b.name.includes('/') ? b.name.split('/')[0] : '';
        if (!groups.has(g)) groups.set(g, []);
        groups.get(g).push(b);
      }
      const opt = (b) => el('option', { value: b.name, text: b.name });
      sel.replaceChildren(el('option', { value: '', text: '(choose one)' }),
        ...(groups.get('') || []).map(opt),
        ...[...groups.keys()].filter(Boolean).map((g) => el('optgroup', { label: g + '/' }, ...groups.get(g).map(opt))));
    } catch (e) {
      $('load-error').textContent = e.message;
      $('load-error').hidden = false;
    }
  });
  $('load-builtin').addEventListener('change', () => {
    const b = (builtins || []).find((x) => x.name === $('load-builtin').value);
    $('load-builtin-desc').textContent = b ? b.description : '';
    if (b) $('load-file').value = '';
  });
  $('load-file').addEventListener('change', () => { if ($('load-file').files.length) $('load-builtin').value = ''; });
  $('load-cancel').addEventListener('click', () => $('load-dialog').close());
  $('load-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const err = $('load-error');
    err.hidden = true;
    try {
      let text;
      let type = 'application/yaml';
      let what;
      const file = $('load-file').files[0];
      if (file) {
        text = await file.text();
        if (/\.json$/i.test(file.name)) type = 'application/json';
        what = file.name;
      } else if ($('load-builtin').value) {
        what = 'builtin:' + $('load-builtin').value;
        const res = await api('/api/builtins/' + $('load-builtin').value.split('/').map(encodeURIComponent).join('/'));
        if (!res.ok) throw new Error(await errorText(res));
        text = await res.text();
      } else {
        throw new Error('Choose a built-in scenario or a file.');
      }
      const reset = $('load-reset').checked;
      const res = await api('/api/scenario' + (reset ? '?reset=true' : ''), { method: 'PUT', headers: { 'Content-Type': type }, body: text });
      if (!res.ok) throw new Error(await errorText(res));
      const body = await res.json();
      $('load-dialog').close();
      if (reset) select(null);
      showMessage(`Loaded ${what}: ${body.rules} rules, ${body.expectations} expectations${reset ? ', and reset' : ''}.`);
    } catch (e) {
      if (e instanceof AuthError) throw e;
      err.textContent = e.message;
      err.hidden = false;
    }
  });

  // ------------------------------------------------------------ token dialog
  function askToken(why) {
    const d = $('token-dialog');
    $('token-error').textContent = why || '';
    $('token-error').hidden = !why;
    $('token-input').value = '';
    if (!d.open) d.showModal();
  }
  $('token-form').addEventListener('submit', () => {
    token = $('token-input').value.trim();
    sessionStorage.setItem(TOKEN_KEY, token);
    $('act-token').hidden = !token;
    follow();
  });
  $('token-dialog').addEventListener('cancel', (ev) => ev.preventDefault()); // nothing to show without it
  $('act-token').addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY);
    location.reload();
  });

  // ------------------------------------------------------------ filters and keys
  for (const id of ['f-user', 'f-command', 'f-code', 'f-text']) $(id).addEventListener('input', scheduleRender);
  $('f-session').addEventListener('change', () => select($('f-session').value ? Number($('f-session').value) : null));
  // the fields are emptied after the reset event: render again then
  $('filters').addEventListener('reset', () => {
    select(null);
    setTimeout(scheduleRender, 0);
  });
  $('filters').addEventListener('submit', (ev) => ev.preventDefault());
  document.addEventListener('keydown', (ev) => {
    const typing = /^(INPUT|SELECT|TEXTAREA)$/.test(document.activeElement.tagName);
    if (ev.key === '/' && !typing && !document.querySelector('dialog[open]')) {
      ev.preventDefault();
      $('f-text').focus();
    } else if (ev.key === 'Escape' && typing && document.activeElement.closest('#filters')) {
      document.activeElement.value = '';
      scheduleRender();
    }
  });

  // ------------------------------------------------------------ start
  // the server-rendered rows become live rows at the first render
  const fromURL = Number(new URL(location.href).searchParams.get('session'));
  if (fromURL > 0) S.selected = fromURL;
  $('act-token').hidden = !token;
  if (tokenRequired && !token) {
    setLive('auth', 'Needs the admin token');
    askToken('');
  } else {
    follow();
  }
})();
