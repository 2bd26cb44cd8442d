//! The calculator: on a page served by `pricebook serve`, a form (plan, billing cadence, a month's
//! usage mix) that prices through `/v1/quote` and `/v1/bill` and keeps its state in the page's
//! URL (`?plan=creator&billing=monthly&use=hedra-avatar:20 minute`), so a priced mix can be
//! shared as a link. A static page cannot ask the service, so it says how to run it.

use super::html::esc;
use crate::load::Opened;
use crate::snapshot::words;
use std::fmt::Write as _;

/// What the static page says in place of the form.
pub(crate) fn offline(book: &Opened) -> String {
    let source = book.path.display().to_string();
    format!(
        "<section id=\"calculator\" aria-labelledby=\"calc-h\">\n<h2 id=\"calc-h\">Calculator</h2>\n<p>The calculator prices a month's usage mix on a plan with the quote service, so it runs where the service does: start <code>pricebook serve {}</code> and open <code>http://127.0.0.1:8080/page/{}</code>. Its link keeps the plan, the billing cadence and the usage mix, so a priced mix can be shared.</p>\n</section>\n",
        esc(&source),
        esc(book.table.vendor())
    )
}

/// The script of the form: plain DOM calls, no framework.
const SCRIPT: &str = r#"
(function () {
  var form = document.getElementById('calculator-form');
  if (!form) return;
  var products = JSON.parse(document.getElementById('calculator-products').textContent);
  var rows = form.querySelector('.rows');
  var out = form.querySelector('output');
  function key(p) { var k = p.product; for (var d in p.dims) k += ',' + d + '=' + p.dims[d]; return k; }
  function addRow(k, quantity) {
    var row = document.createElement('div');
    row.className = 'row';
    var sel = document.createElement('select');
    sel.name = 'product';
    sel.setAttribute('aria-label', 'Product');
    products.forEach(function (p, i) {
      var o = document.createElement('option');
      o.value = String(i); o.textContent = p.label; if (key(p) === k) o.selected = true;
      sel.appendChild(o);
    });
    var q = document.createElement('input');
    q.name = 'quantity'; q.setAttribute('aria-label', 'Quantity per month');
    q.value = quantity || products[sel.selectedIndex].quantity;
    sel.addEventListener('change', function () { q.value = products[sel.selectedIndex].quantity; });
    var rm = document.createElement('button');
    rm.type = 'button'; rm.textContent = 'Remove';
    rm.addEventListener('click', function () { row.remove(); });
    row.appendChild(sel); row.appendChild(document.createTextNode(' ')); row.appendChild(q);
    row.appendChild(document.createTextNode(' ')); row.appendChild(rm);
    rows.appendChild(row);
  }
  function usage() {
    return Array.prototype.map.call(rows.querySelectorAll('.row'), function (r) {
      var p = products[Number(r.querySelector('select').value)];
      return { p: p, quantity: r.querySelector('input').value.trim() };
    }).filter(function (u) { return u.quantity !== ''; });
  }
  function post(path, body) {
    var headers = { 'content-type': 'application/json' };
    var token = form.elements.token.value.trim();
    if (token) headers.authorization = 'Bearer ' + token;
    return fetch(path, { method: 'POST', headers: headers, body: JSON.stringify(body) })
      .then(function (r) { return r.json().then(function (j) { return { status: r.status, json: j }; }); });
  }
  function text(tag, content, cls) {
    var e = document.createElement(tag); e.textContent = content; if (cls) e.className = cls; return e;
  }
  function price() {
    var book = form.dataset.book, from = form.dataset.from;
    var plan = form.elements.plan.value, billing = form.elements.billing.value;
    var mix = usage();
    var params = new URLSearchParams();
    params.set('plan', plan); params.set('billing', billing);
    mix.forEach(function (u) { params.append('use', key(u.p) + ':' + u.quantity); });
    history.replaceState(null, '', '?' + params.toString());
    out.textContent = 'Pricing...';
    var quotes = mix.map(function (u) {
      return post('/v1/quote', { book: book, plan: plan, product: u.p.product, dims: u.p.dims, quantity: u.quantity });
    });
    var events = mix.map(function (u) {
      return { time: from + 'T12:00:00Z', product: u.p.product, dims: u.p.dims, quantity: u.quantity };
    });
    var bill = post('/v1/bill', { book: book, plan: plan, billing: billing, from: from, periods: 1, usage: events });
    Promise.all(quotes.concat([bill])).then(function (answers) {
      out.textContent = '';
      var table = document.createElement('table');
      table.appendChild(text('caption', 'Each usage quoted on its own'));
      var head = document.createElement('tr');
      ['Product', 'Quantity', 'Charge', 'Money'].forEach(function (h) {
        var th = text('th', h); th.scope = 'col'; head.appendChild(th);
      });
      table.appendChild(head);
      mix.forEach(function (u, i) {
        var a = answers[i].json, tr = document.createElement('tr');
        var th = text('th', u.p.label); th.scope = 'row'; tr.appendChild(th);
        tr.appendChild(text('td', u.quantity));
        if (a.error) { tr.appendChild(text('td', a.error.message)); tr.appendChild(text('td', '')); }
        else if (a.rejected) { tr.appendChild(text('td', 'rejected: ' + a.rejected.reason)); tr.appendChild(text('td', '')); }
        else {
          tr.appendChild(text('td', a.charge.amount + ' ' + a.charge.unit, 'num'));
          tr.appendChild(text('td', a.money ? a.money.amount + ' ' + a.money.currency : (a.money_note || '-'), 'num'));
        }
        table.appendChild(tr);
      });
      out.appendChild(table);
      var b = answers[answers.length - 1];
      if (b.json.error) {
        out.appendChild(text('p', 'The bill: ' + b.json.error.message));
        return;
      }
      out.appendChild(text('p', 'A ' + billing + ' bill for this month: ' + b.json.total.amount + ' ' + b.json.total.currency, 'total'));
      (b.json.rejected || []).forEach(function (r) { out.appendChild(text('p', 'Not billed: ' + r.reason)); });
    }).catch(function (e) { out.textContent = 'The service did not answer: ' + e; });
  }
  var params = new URLSearchParams(location.search);
  if (params.get('plan')) form.elements.plan.value = params.get('plan');
  if (params.get('billing')) form.elements.billing.value = params.get('billing');
  var uses = params.getAll('use');
  if (uses.length === 0) addRow(key(products[0]), '');
  uses.forEach(function (u) { var i = u.lastIndexOf(':'); addRow(u.slice(0, i), u.slice(i + 1)); });
  form.querySelector('.add').addEventListener('click', function () { addRow(key(products[0]), ''); });
  form.addEventListener('submit', function (e) { e.preventDefault(); price(); });
  if (uses.length > 0) price();
})();
"#;

/// The form of a served page, for the book the service names `key`.
pub(crate) fn served(book: &Opened, key: &str) -> String {
    let t = &book.table;
    let mut products = Vec::new();
    for p in t.products() {
        let quantity = match p.measure.as_str() {
            "time" => "1 minute".to_string(),
            "text" => "1000 character".to_string(),
            "area" => "1 megapixel".to_string(),
            other => format!("1 {}", t.base_unit(other)),
        };
        for (_, values) in words::cells(t, p) {
            let label = if values.is_empty() {
                p.display.clone()
            } else {
                let vs: Vec<&str> = values.iter().map(|(_, v)| v.as_str()).collect();
                format!("{} ({})", p.display, vs.join(", "))
            };
            let dims: serde_json::Map<String, serde_json::Value> = values
                .iter()
                .map(|(n, v)| (n.clone(), serde_json::Value::from(v.as_str())))
                .collect();
            products.push(serde_json::json!({
                "product": p.slug, "dims": dims, "label": label, "quantity": quantity,
            }));
        }
    }
    // `</` cannot end the script early: JSON escapes it.
    let data = serde_json::Value::from(products)
        .to_string()
        .replace("</", "<\\/");
    let mut plans = String::new();
    for pl in t.plans() {
        let _ = write!(
            plans,
            "<option value=\"{}\">{}</option>",
            esc(&pl.slug),
            esc(&pl.display)
        );
    }
    format!(
        "<section id=\"calculator\" aria-labelledby=\"calc-h\">\n<h2 id=\"calc-h\">Calculator</h2>\n<p>Price a month's usage on a plan with the quote service that serves this page. The page's link keeps what you price.</p>\n<form id=\"calculator-form\" class=\"calculator\" data-book=\"{}\" data-from=\"{}\">\n<fieldset><legend>Plan</legend>\n<label>Plan <select name=\"plan\">{plans}</select></label>\n<label>Billing <select name=\"billing\"><option value=\"monthly\">monthly</option><option value=\"annual\">annual</option></select></label>\n</fieldset>\n<fieldset><legend>Usage per month</legend>\n<div class=\"rows\"></div>\n<button type=\"button\" class=\"add\">Add a product</button>\n</fieldset>\n<details><summary>Service token</summary><label>Token (only if the service asks for one) <input name=\"token\" type=\"password\" autocomplete=\"off\"></label></details>\n<button type=\"submit\">Price it</button>\n<output name=\"result\" aria-live=\"polite\"></output>\n</form>\n<script type=\"application/json\" id=\"calculator-products\">{data}</script>\n<script>{SCRIPT}</script>\n</section>\n",
        esc(key),
        esc(t.effective())
    )
}
