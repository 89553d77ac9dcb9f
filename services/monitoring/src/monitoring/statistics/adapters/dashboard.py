"""The managers' dashboard page (监测驾驶舱): a static shell with no data in it. The reader signs
in on the page (the gateway's `/v1/auth/login`); the token stays in the tab's sessionStorage and
goes with every request for the figures, which the services authorise and scope as any other
call. Its script is a separate file so the page's Content-Security-Policy allows no inline
script."""

from __future__ import annotations

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)

PAGE = """<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>低收入人口动态监测 · 统计 — Jiuzhu monitoring dashboard</title>
<style>
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; margin: 24px; color: #222; }
h1 { font-size: 20px; margin: 0 0 12px; }
form { margin: 12px 0; }
label { margin-right: 12px; }
#summary { display: flex; flex-wrap: wrap; gap: 12px; margin: 12px 0; }
.figure { border: 1px solid #ccd; border-radius: 6px; padding: 8px 12px; min-width: 120px; }
.figure b { display: block; font-size: 20px; }
#charts svg { display: block; margin: 16px 0; }
#message { color: #b00; }
.hidden { display: none; }
</style>
</head>
<body>
<h1>低收入人口动态监测 · 统计 <small>Monitoring dashboard</small></h1>
<form id="login" class="hidden">
  <p>请登录查看本辖区统计 (sign in to see your area's figures)</p>
  <label>用户名 Username <input id="username" autocomplete="username" required></label>
  <label>密码 Password <input id="password" type="password" autocomplete="current-password" required></label>
  <button type="submit">登录 Sign in</button>
</form>
<div id="board" class="hidden">
  <form id="filter">
    <label>月份 Month <input id="month" type="month"></label>
    <a id="up" href="#">全市 City</a>
    <a id="csv" href="#">导出 CSV</a>
    <button id="logout" type="button">退出 Sign out</button>
  </form>
  <div id="scope"></div>
  <div id="summary"></div>
  <div id="charts"></div>
</div>
<p id="message" role="alert"></p>
<script src="/v1/monitoring/dashboard/app.js"></script>
</body>
</html>
"""

SCRIPT = r"""'use strict';
const TOKEN = 'jiuzhu.dashboard.token';
const $ = (id) => document.getElementById(id);

function region() {
  const m = location.hash.match(/region=([0-9]{6})/);
  return m ? m[1] : '';
}

function query() {
  const q = new URLSearchParams();
  if ($('month').value) q.set('month', $('month').value);
  if (region()) q.set('region_code', region());
  return q.toString();
}

async function call(path) {
  const token = sessionStorage.getItem(TOKEN);
  const response = await fetch(path, { headers: { Authorization: 'Bearer ' + token } });
  if (response.status === 401) {
    sessionStorage.removeItem(TOKEN);
    show();
    throw new Error('请重新登录 (please sign in again)');
  }
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    throw new Error(body.message_zh || body.detail || response.statusText);
  }
  return response;
}

function figure(label, value) {
  const box = document.createElement('div');
  box.className = 'figure';
  const number = document.createElement('b');
  number.textContent = value;
  box.append(number, label);
  return box;
}

const percent = (v) => (v === null ? '—' : (v * 100).toFixed(1) + '%');

async function load() {
  $('message').textContent = '';
  try {
    const stats = await (await call('/v1/monitoring/statistics?' + query())).json();
    if (!$('month').value) $('month').value = stats.month;
    const t = stats.total;
    const active = Object.values(t.active).reduce((a, b) => a + b, 0);
    const zero = stats.areas.filter((a) => a.zero_report).length;
    $('scope').textContent = stats.county_code ? '县（区） ' + stats.county_code + ' 各乡镇' : '全市各县（区）';
    $('summary').replaceChildren(
      figure('监测户数 households', t.households.toLocaleString()),
      figure('在保对象 active cases', active.toLocaleString()),
      figure('集中供养率 care-home share', percent(t.centralised_rate)),
      figure('检出率 found by monitoring', percent(t.discovery_rate)),
      figure('待处置预警 open alerts', t.alerts_open + t.alerts_overdue),
      figure('平均处置天数 days to disposition', t.mean_disposal_days === null ? '—' : t.mean_disposal_days),
      figure('低保零报告 zero-report areas', zero),
    );
    $('charts').innerHTML = await (await call('/v1/monitoring/statistics/charts?' + query())).text();
    document.body.dataset.loaded = stats.month + '/' + (stats.county_code || 'city');
  } catch (error) {
    $('message').textContent = error.message;
  }
}

function show() {
  const signedIn = Boolean(sessionStorage.getItem(TOKEN));
  $('login').classList.toggle('hidden', signedIn);
  $('board').classList.toggle('hidden', !signedIn);
  if (signedIn) load();
}

$('login').addEventListener('submit', async (event) => {
  event.preventDefault();
  $('message').textContent = '';
  const response = await fetch('/v1/auth/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: $('username').value, password: $('password').value }),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    $('message').textContent = body.message_zh || body.detail || '登录失败 (sign-in failed)';
    return;
  }
  sessionStorage.setItem(TOKEN, body.access_token);
  show();
});

$('logout').addEventListener('click', () => {
  sessionStorage.removeItem(TOKEN);
  show();
});

$('up').addEventListener('click', (event) => {
  event.preventDefault();
  history.pushState(null, '', location.pathname);
  load();
});

$('month').addEventListener('change', load);
window.addEventListener('hashchange', load);

$('csv').addEventListener('click', async (event) => {
  event.preventDefault();
  try {
    const blob = await (await call('/v1/monitoring/statistics/export?' + query())).blob();
    const link = document.createElement('a');
    link.href = URL.createObjectURL(blob);
    link.download = 'statistics-' + ($('month').value || 'month') + (region() ? '-' + region() : '') + '.csv';
    link.click();
    URL.revokeObjectURL(link.href);
  } catch (error) {
    $('message').textContent = error.message;
  }
});

show();
"""
