"""The dashboard's JSON API as a script reads it: every page of a sorted,
filtered listing is that part of the whole listing (the manager keeps
only the rows a page needs, not every object sorted)."""
import json
import random
import urllib.request


def test_pages_are_parts_of_the_whole(own_server):
    srv = own_server("--http", "http://127.0.0.1:0/")
    url = next(u for u in srv.urls if "#token=" in u)
    base, token = url.split("#token=")
    m = srv.connect()
    rnd = random.Random(7)
    keep = []
    for i in range(120):
        d = m.dict()
        for k in range(rnd.randrange(6)):  # sizes 0..5: many ties
            d[k] = k
        if i % 3:
            m.set_name("n%03d" % rnd.randrange(1000), d)
        keep.append(d)

    def get(query):
        rq = urllib.request.Request(
            base.rstrip("/") + "/api/objects?" + query,
            headers={"Authorization": "Bearer " + token})
        with urllib.request.urlopen(rq) as r:
            return json.load(r)

    for sort in ("id", "name", "type", "size", "waiters"):
        for desc in (0, 1):
            for q in ("", "n0"):
                query = "sort=%s&desc=%d&q=%s" % (sort, desc, q)
                whole = get(query + "&limit=1000")
                ids = [o["object"] for o in whole["objects"]]
                assert whole["total"] == len(ids)
                paged = []
                for off in range(0, len(ids) + 7, 7):
                    page = get(query + "&offset=%d&limit=7" % off)
                    assert page["total"] == whole["total"]
                    paged += [o["object"] for o in page["objects"]]
                assert paged == ids, query
                key = {"id": "object", "name": "name", "type": "type",
                       "size": "size", "waiters": "waiters"}[sort]
                vals = [o.get(key) for o in whole["objects"]]
                named = [v for v in vals if v is not None]
                assert named == sorted(named, reverse=bool(desc)), query
    m.close()
