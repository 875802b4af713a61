"""The dashboard driven in headless Chromium through the DevTools
protocol, as a person clicks through it: search, a type filter, sorting
by a column, paging to a row far down and opening it (its detail in
view), a long value that does not widen the page, a queue purged and a
name deleted from the detail, sessions found by their client's name, a
stuck client's session ended."""
import json
import shutil

import pytest

import mgr

from cdp import Browser

N_DICTS = 260  # over one page (200)


@pytest.fixture
def dashboard(own_server, tmp_path):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("no chromium")
    srv = own_server("--http", "http://127.0.0.1:0/")
    url = next(u for u in srv.urls if "#token=" in u)
    b = Browser(chromium, str(tmp_path / "profile"))
    yield srv, url, b
    b.close()


def rows(b):
    return b.eval("[...document.querySelectorAll('#objtable tbody tr')]"
                  ".map(r => r.children[1].textContent)")


def test_dashboard_clicks(dashboard):
    srv, url, b = dashboard
    m = srv.connect(name="dash-client")
    keep = []
    for i in range(N_DICTS):
        d = m.dict(i=i)
        m.set_name("d%04d" % i, d)
        keep.append(d)
    jobs = m.named("jobs", m.Queue)
    for i in range(5):
        jobs.put(i)
    long_value = "x" * 300
    m.named("long", m.dict)["v"] = long_value
    lock = m.named("L", m.Lock)
    lock.acquire()

    base = url.split("#")[0]
    b.call("Page.enable")
    b.call("Page.navigate", url=base + "?view=objects#" + url.split("#")[1])
    b.wait_for("document.body.dataset.ready === 'yes' && "
               "document.querySelectorAll('#objtable tbody tr').length > 0",
               "the objects listed")

    # Search: only what matches stays.
    b.type("#obj-search", "jobs")
    b.wait_for("[...document.querySelectorAll('#objtable tbody tr')]"
               ".map(r => r.children[1].textContent).join() === 'jobs'",
               "the search narrowing to jobs")
    # The type filter: the locks only.
    b.type("#obj-search", "")
    b.eval("(() => { const s = document.getElementById('obj-type');"
           " s.value = 'lock'; s.dispatchEvent(new Event('change')); })()")
    b.wait_for("[...document.querySelectorAll('#objtable tbody tr')]"
               ".every(r => r.children[2].textContent === 'lock') && "
               "document.querySelectorAll('#objtable tbody tr').length === 1",
               "the type filter")
    b.eval("(() => { const s = document.getElementById('obj-type');"
           " s.value = ''; s.dispatchEvent(new Event('change')); })()")
    b.wait_for("document.querySelectorAll('#objtable tbody tr').length "
               "=== 200", "every type again")
    # Sorted by size, largest first: the queue of 5 leads.
    b.click("#objtable th[data-sort='size']")
    b.wait_for("document.querySelector('#objtable tbody tr')"
               ".children[1].textContent === 'jobs' && document.querySelector"
               "(\"#objtable th[data-sort='size']\").dataset.dir === 'desc'",
               "sorted by size, descending")
    b.click("#objtable th[data-sort='name']")
    b.wait_for("document.querySelector('#objtable tbody tr')"
               ".children[1].textContent === 'L'", "sorted by name")
    # The next page, its last row opened: the detail is in view.
    b.click("#obj-pager button:last-child")
    b.wait_for("document.getElementById('obj-pager').textContent"
               ".startsWith('201-')", "the second page")
    last = rows(b)[-1]
    b.click("#objtable tbody tr:last-child")
    b.wait_for("!document.getElementById('detail').hidden && "
               "document.getElementById('detail-title').textContent"
               ".includes(%s)" % json.dumps("'" + last + "'"),
               "the detail of the row clicked")
    top = b.eval("document.getElementById('detail')"
                 ".getBoundingClientRect().top")
    assert 0 <= top < b.eval("window.innerHeight")

    # A long value: clipped, whole in its tooltip, the page no wider.
    b.click("#detail-close")
    b.type("#obj-search", "long")
    b.wait_for("document.querySelectorAll('#objtable tbody tr').length "
               "=== 1", "the search for long")
    b.click("#objtable tbody tr")
    b.wait_for("!document.getElementById('detail').hidden && "
               "document.getElementById('detail-title').textContent"
               ".includes(\"'long'\") && document.querySelector("
               "'#detail-entries tbody td:last-child span.clip') !== null",
               "the long dict's entries")
    assert b.eval("document.documentElement.scrollWidth <= "
                  "window.innerWidth + 1")
    # (the manager gives an entry's first couple of hundred characters)
    title = b.eval("document.querySelector('#detail-entries tbody "
                   "td:last-child span.clip').title")
    assert title.startswith("'v': 'xxxx") and len(title) > 150, title
    assert b.eval("(() => { const s = document.querySelector("
                  "'#detail-entries tbody td:last-child span.clip');"
                  " return s.scrollWidth > s.clientWidth; })()")

    # A queue purged and its name deleted from its detail: the first
    # click asks, the second acts.
    b.click("#detail-close")
    b.type("#obj-search", "jobs")
    b.wait_for("[...document.querySelectorAll('#objtable tbody tr')]"
               ".map(r => r.children[1].textContent).join() === 'jobs'",
               "the search for jobs")
    b.click("#objtable tbody tr")
    purge = "#detail-actions button[data-action='purge']"
    b.wait_for("document.querySelector(%s) !== null" % json.dumps(purge),
               "the purge button")
    b.click(purge)
    b.wait_for("document.querySelector(%s).textContent.startsWith("
               "'drop the 5 waiting items')" % json.dumps(purge),
               "the question")
    b.click(purge)
    b.wait_for("document.getElementById('detail-title').textContent"
               ".includes(': size 0')", "the queue emptied")
    assert jobs.qsize() == 0
    unname = "#detail-actions button[data-action='delete name']"
    b.click(unname)
    b.wait_for("document.querySelector(%s).textContent.startsWith("
               "\"delete the name 'jobs'\")" % json.dumps(unname),
               "the question")
    b.click(unname)
    b.wait_for("document.querySelectorAll('#objtable tbody tr').length "
               "=== 0 || [...document.querySelectorAll('#objtable tbody "
               "tr')].every(r => r.children[1].textContent !== 'jobs')",
               "the name gone from the list")
    with pytest.raises(KeyError):
        m.get("jobs")
    jobs.put("still here")  # our reference keeps the queue
    assert "name 'jobs' deleted" in srv.log_text()

    # Sessions, found by their client's name.
    b.click("nav a[data-view='sessions']")
    b.wait_for("document.querySelectorAll('#sesstable tbody tr').length "
               "> 0", "the sessions listed")
    b.type("#sess-search", "dash-client")
    b.wait_for("[...document.querySelectorAll('#sesstable tbody tr')]"
               ".map(r => r.children[2].textContent).join()"
               ".startsWith('dash-client pid ')",
               "the session found by its client's name")

    # Ending a session: a stuck client's lock freed from the page (the
    # first click asks, the second ends it).
    victim = srv.connect(name="stuck-client")
    stuck = victim.named("stuck", victim.Lock)
    stuck.acquire()
    vid = victim.session
    b.type("#sess-search", "stuck-client")
    sel = "#sesstable button[data-session='%d']" % vid
    b.wait_for("document.querySelector(%s) !== null" % json.dumps(sel),
               "the stuck client's row")
    b.click(sel)
    b.wait_for("document.querySelector(%s).textContent.startsWith('end "
               "session')" % json.dumps(sel), "the question")
    b.click(sel)
    # Its lock is free: ours at once.
    mine = m.get("stuck")
    assert mine.acquire(timeout=20)
    mine.release()
    b.wait_for("document.querySelector(%s) === null" % json.dumps(sel),
               "the ended session gone from the list")
    assert "ended by the dashboard" in srv.log_text()
    with pytest.raises(mgr.SessionEnded):
        stuck.locked()
    lock.release()
    m.close()
