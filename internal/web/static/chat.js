// careloop chat: one script for the child's page and the staff's room.
// A message is kept in this browser's outbox until the server says it is
// stored (ack); it is resent after a dropped connection or a crash, and
// the server stores it once. Messages arrive by sequence number; a
// reconnect asks for everything after the last one shown.
(function () {
  'use strict';
  var root = document.getElementById('chat');
  if (!root) { return; }
  var d = root.dataset;
  var log = document.getElementById('chat-log');
  var status = document.getElementById('chat-status');
  var form = document.getElementById('chat-form');
  var input = document.getElementById('chat-text');
  var last = parseInt(d.last, 10) || 0;
  var outbox = [];
  try { outbox = JSON.parse(localStorage.getItem(d.outbox) || '[]'); } catch (e) { outbox = []; }
  var ws = null;
  var retry = 0;
  var closed = false;

  function save() {
    try { localStorage.setItem(d.outbox, JSON.stringify(outbox)); } catch (e) { /* private mode: keep in memory */ }
  }
  function say(text) { status.textContent = text; }
  function scroll() { log.scrollTop = log.scrollHeight; window.scrollTo(0, document.body.scrollHeight); }
  function newID() {
    var a = new Uint8Array(12);
    crypto.getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return ('0' + b.toString(16)).slice(-2); }).join('');
  }
  function bubble(cls, text, id, seq) {
    var li = document.createElement('li');
    li.className = 'bubble ' + cls;
    if (id) { li.dataset.id = id; }
    if (seq) { li.dataset.seq = String(seq); }
    var span = document.createElement('span');
    span.className = 'text';
    span.textContent = text;
    li.appendChild(span);
    log.appendChild(li);
    return li;
  }
  function pending(o) {
    var li = bubble('mine pending', o.text, o.id, 0);
    var s = document.createElement('small');
    s.className = 'delivery';
    s.textContent = d.sending;
    li.appendChild(s);
  }
  function shown(m) {
    var li = m.id ? log.querySelector('li.pending[data-id="' + CSS.escape(m.id) + '"]') : null;
    if (li && m.from === d.mine) {
      li.classList.remove('pending');
      li.dataset.seq = String(m.seq);
      var s = li.querySelector('.delivery');
      if (s) { s.textContent = d.sent; }
      return;
    }
    var cls = m.from === 'system' ? 'system' : (m.from === d.mine ? 'mine' : 'theirs');
    bubble(cls, m.text, m.id, m.seq);
  }
  function setState(state) {
    d.state = state;
    if (state === 'ended' || state === 'abandoned' || state === 'gone') {
      closed = true;
      say(d.ended);
      if (form) { form.querySelectorAll('textarea, button').forEach(function (el) { el.disabled = true; }); }
    }
  }
  function send(o) {
    if (ws && ws.readyState === 1) { ws.send(JSON.stringify({ t: 'say', id: o.id, text: o.text })); }
  }
  function connect() {
    var proto = location.protocol === 'https:' ? 'wss://' : 'ws://';
    ws = new WebSocket(proto + location.host + d.socket + '?after=' + last);
    ws.onopen = function () {
      retry = 0;
      say(d.state === 'waiting' ? status.textContent || d.connected : d.connected);
      outbox.forEach(send);
    };
    ws.onmessage = function (e) {
      var f;
      try { f = JSON.parse(e.data); } catch (err) { return; }
      if (f.t === 'msg') {
        if (f.seq > last) { last = f.seq; shown(f); scroll(); }
      } else if (f.t === 'ack') {
        outbox = outbox.filter(function (o) { return o.id !== f.id; });
        save();
        // Already shown by its msg frame: mark the pending bubble sent. A
        // bubble is never made from an ack (it carries no text).
        if (f.seq <= last && log.querySelector('li.pending[data-id="' + CSS.escape(f.id) + '"]')) {
          shown({ id: f.id, seq: f.seq, from: d.mine });
        }
      } else if (f.t === 'state') {
        setState(f.state);
        if (f.state === 'active') { say(d.connected); }
      } else if (f.t === 'err') {
        say(f.text);
        if (f.id) {
          outbox = outbox.filter(function (o) { return o.id !== f.id; });
          save();
          var li = log.querySelector('li.pending[data-id="' + CSS.escape(f.id) + '"]');
          if (li) { li.classList.add('failed'); li.querySelector('.delivery').textContent = f.text; }
        }
      }
    };
    ws.onclose = function () {
      ws = null;
      if (closed) { return; }
      say(d.offline);
      var wait = Math.min(10000, 500 * Math.pow(2, retry++));
      setTimeout(connect, wait);
    };
  }
  outbox.forEach(pending);
  if (form) {
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      var text = input.value.trim();
      if (!text) { return; }
      var o = { id: newID(), text: text };
      outbox.push(o);
      save();
      pending(o);
      scroll();
      input.value = '';
      send(o);
    });
    input.addEventListener('keydown', function (e) {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); form.requestSubmit(); }
    });
  }
  setState(d.state);
  scroll();
  if (!closed) { connect(); }
}());
