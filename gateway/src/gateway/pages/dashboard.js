'use strict';
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
      figure('临时救助户(12个月) temporary, 12 months', t.temporary_households),
      figure('本月发放(元) paid this month', Number(t.paid).toLocaleString()),
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

async function download(format) {
  try {
    const blob = await (await call('/v1/monitoring/statistics/export?format=' + format + '&' + query())).blob();
    const link = document.createElement('a');
    link.href = URL.createObjectURL(blob);
    link.download = 'statistics-' + ($('month').value || 'month') + (region() ? '-' + region() : '') + '.' + format;
    link.click();
    URL.revokeObjectURL(link.href);
  } catch (error) {
    $('message').textContent = error.message;
  }
}

for (const format of ['csv', 'xlsx']) {
  $(format).addEventListener('click', (event) => {
    event.preventDefault();
    download(format);
  });
}

show();
