/**
 * The script of the linking page, served as-is at /link/app.js (no build step). Plain browser
 * JavaScript; every value from the API is written with textContent, never as HTML.
 *
 * 1. The API token (a personal access token with the write scope) is asked once and kept in
 *    sessionStorage (this tab only).
 * 2. POST /v1/plaid/link-token (with `item_id` for update mode: /link?item_id=<id>).
 * 3. Link: Plaid's script (`Plaid.create({ token, onSuccess })`), or the emulator's Link page, reached by
 *    navigation with `redirect_uri` = this page; it comes back with `?public_token=`.
 * 4. A new link: POST /v1/plaid/item/public-token/exchange, then the accounts are shown. Update mode:
 *    POST /v1/items/<id>/repaired (Plaid needs no exchange then).
 */
export const LINK_APP_SCRIPT = String.raw`'use strict';
(function () {
  var TOKEN_KEY = 'finance-api.link.api-token';
  var config = JSON.parse(document.getElementById('link-config').textContent);
  var params = new URLSearchParams(window.location.search);
  var itemId = params.get('item_id');
  var accountSelection = params.get('account_selection') === 'true';
  var returnedPublicToken = params.get('public_token');

  function $(id) { return document.getElementById(id); }
  function setStatus(message, kind) {
    var el = $('status');
    el.textContent = message || '';
    el.className = kind || '';
  }
  function apiToken() { return window.sessionStorage.getItem(TOKEN_KEY); }
  function showSections() {
    var hasToken = Boolean(apiToken());
    $('token-section').hidden = hasToken;
    $('connect-section').hidden = !hasToken;
  }

  function ApiError(status, problem) {
    this.name = 'ApiError';
    this.status = status;
    this.problem = problem;
    this.message = (problem && (problem.detail || problem.title)) || 'HTTP ' + status;
  }
  ApiError.prototype = Object.create(Error.prototype);

  function api(method, path, body) {
    var headers = { authorization: 'Bearer ' + apiToken() };
    if (body !== undefined) headers['content-type'] = 'application/json';
    return window.fetch(path, {
      method: method,
      headers: headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then(function (response) {
      if (response.status === 204) return null;
      return response.json().catch(function () { return null; }).then(function (data) {
        if (response.ok) return data;
        if (response.status === 401) {
          window.sessionStorage.removeItem(TOKEN_KEY);
          showSections();
        }
        throw new ApiError(response.status, data);
      });
    });
  }

  function fail(error) {
    var message = error && error.message ? error.message : String(error);
    var code = error && error.problem && error.problem.code ? ' (' + error.problem.code + ')' : '';
    setStatus(message + code, 'error');
    $('connect').disabled = false;
  }

  /** This page's URL without public_token: where the emulator's Link sends the browser back. */
  function returnUrl() {
    var url = new URL(window.location.pathname, window.location.origin);
    if (itemId) url.searchParams.set('item_id', itemId);
    if (accountSelection) url.searchParams.set('account_selection', 'true');
    return url.toString();
  }

  function loadPlaid() {
    if (window.Plaid) return Promise.resolve(window.Plaid);
    return new Promise(function (resolve, reject) {
      var script = document.createElement('script');
      script.src = config.link.scriptUrl;
      script.onload = function () { resolve(window.Plaid); };
      script.onerror = function () {
        reject(new Error('Could not load Plaid Link from ' + script.src + ' (is it allowed by the Content-Security-Policy?)'));
      };
      document.head.appendChild(script);
    });
  }

  function openLink(linkToken) {
    if (config.link.kind === 'emulator') {
      var target = new URL(config.link.url.replace(/\/+$/, '') + '/link');
      target.searchParams.set('token', linkToken);
      target.searchParams.set('redirect_uri', returnUrl());
      setStatus('Opening the emulated Plaid Link…');
      window.location.assign(target.toString());
      return;
    }
    return loadPlaid().then(function (Plaid) {
      var handler = Plaid.create({
        token: linkToken,
        onSuccess: function (publicToken) { finish(publicToken); },
        onExit: function (error) {
          if (error) fail(new Error(error.display_message || error.error_message || error.error_code));
          else { setStatus('Link was closed before finishing.'); $('connect').disabled = false; }
        },
      });
      handler.open();
    });
  }

  function start() {
    $('connect').disabled = true;
    setStatus('Asking for a link token…');
    var body = {};
    if (itemId) body.item_id = itemId;
    if (itemId && accountSelection) body.account_selection = true;
    api('POST', '/v1/plaid/link-token', body)
      .then(function (created) { return openLink(created.link_token); })
      .catch(fail);
  }

  function describeAccount(account) {
    var parts = [account.name];
    if (account.mask) parts.push('••' + account.mask);
    parts.push(account.subtype || account.type);
    if (account.balances && account.balances.current !== null) {
      parts.push(account.balances.current + ' ' + account.balances.currency);
    }
    return parts.join(' · ');
  }

  function showItem(item, accounts, sync) {
    var institution = item.institution ? item.institution.name || item.institution.id : 'Institution';
    $('result').hidden = false;
    $('result-title').textContent = institution + ': ' + item.status;
    $('result-detail').textContent =
      'Item ' + item.id + '. ' +
      (sync ? 'A sync is queued; transactions and balances arrive shortly.' : 'The next scheduled refresh syncs it.');
    var list = $('accounts');
    list.textContent = '';
    (accounts || []).forEach(function (account) {
      var li = document.createElement('li');
      li.className = 'account';
      li.textContent = describeAccount(account);
      list.appendChild(li);
    });
  }

  function finish(publicToken) {
    if (itemId) {
      setStatus('Checking the connection with Plaid…');
      return api('POST', '/v1/items/' + encodeURIComponent(itemId) + '/repaired')
        .then(function (answer) {
          setStatus('The connection is repaired.', 'ok');
          showItem(answer.data, [], answer.sync);
        })
        .catch(fail);
    }
    setStatus('Linking…');
    return api('POST', '/v1/plaid/item/public-token/exchange', { public_token: publicToken })
      .then(function (linked) {
        setStatus('Linked ' + linked.accounts.length + ' account(s).', 'ok');
        showItem(linked.item, linked.accounts, linked.sync);
      })
      .catch(fail);
  }

  $('token-form').addEventListener('submit', function (event) {
    event.preventDefault();
    var value = $('api-token').value.trim();
    if (!value) return;
    window.sessionStorage.setItem(TOKEN_KEY, value);
    $('api-token').value = '';
    showSections();
    setStatus('');
  });
  $('forget').addEventListener('click', function () {
    window.sessionStorage.removeItem(TOKEN_KEY);
    showSections();
  });
  $('connect').addEventListener('click', start);

  if (itemId) {
    $('title').textContent = 'Repair a connection';
    $('connect').textContent = accountSelection ? 'Choose accounts again' : 'Log in again';
  }
  showSections();

  if (returnedPublicToken) {
    // Keep the public token out of the history and out of any later copy of the address.
    window.history.replaceState(null, '', returnUrl());
    if (apiToken()) finish(returnedPublicToken);
    else setStatus('Enter the API token again: this tab lost it.', 'error');
  }
})();
`;
