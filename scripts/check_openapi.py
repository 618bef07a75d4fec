#!/usr/bin/env python3
"""Check docs/openapi.yaml against docs/api.md and porterd's router.

    scripts/check_openapi.py [SOURCE_ROOT]

Plain Python 3, standard library only (Debian's python3 has no yaml module):
docs/openapi.yaml is read with a small reader for the block-style subset of
YAML that file is written in (mappings, lists, plain and quoted scalars,
literal/folded block scalars; flow values such as [a, b] and JSON examples).

Checks:
  1. every (method, path) in the yaml is a route in docs/api.md, and back;
  2. every path is a route of porterd's router with the same methods, and
     x-allow (the Allow header porterd sends on 405) is the router's
     not_allowed() string; the router strings porterd must serve are all
     there. The router is daemons/porterd/api.c (api_dispatch, homes_sub:
     read exactly, branch by branch) and the route functions it hands
     whole families of paths to (api_carriers, api_devices, api_home_org
     in api_org.c; api_deliveries in api_delivery.c: read from api.c's
     calls). Those are read tolerantly, whatever their dispatch style: per
     family, the Allow strings their not_allowed() calls send are exactly
     the x-allow values of the family's paths, their method_is() methods
     are the family's methods, and the literal path segments they compare
     (strcmp/strncmp of a variable with "couriers", "ack", ...) are
     exactly the family's literal segments. A route function that routes
     nothing yet (no not_allowed, no method_is) is reported as a note and
     skipped;
  3. every response carries X-Request-Id; every error response uses the
     Error schema; each operation's 405 is the NotAllowed_* response whose
     Allow matches x-allow; every 429 carries Retry-After; operations with
     a body answer 413 and 415; authenticated ones answer 401;
  4. request bodies and 2xx responses with a body have examples (binary
     ones too: the cameras' uploads and the clip downloads); every object
     schema says additionalProperties: false.

Exits 0 when all hold, 1 with one line per mismatch, 2 if a file cannot be
read.
"""
import json
import os
import re
import sys

ROUTER_STRINGS = ["accounts", "sessions", "sessions/current", "me", "homes", "members",
                  "owner-keys", "grants", "revocations", "health", "carriers", "me/devices",
                  "deliveries"]
ROUTE_FILES = ("daemons/porterd/api.c", "daemons/porterd/api_org.c",
               "daemons/porterd/api_delivery.c", "daemons/porterd/api_clip.c")
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


class YamlError(Exception):
    def __init__(self, line, msg):
        super().__init__("line %d: %s" % (line, msg))


# ---- a reader for the subset of YAML that docs/openapi.yaml uses ----

_KEY_RE = re.compile(r"""^(?:'((?:[^']|'')*)'|"((?:[^"\\]|\\.)*)"|([^\s'"#\-\[{][^:]*?|-[^\s:][^:]*?))[ \t]*:(?:[ \t]+(.*))?$""")


def _unquote(tok, line):
    if tok.startswith("'"):
        if len(tok) < 2 or not tok.endswith("'"):
            raise YamlError(line, "unterminated quoted string")
        return tok[1:-1].replace("''", "'")
    if tok.startswith('"'):
        try:
            return json.loads(tok)
        except ValueError:
            raise YamlError(line, "bad double-quoted string %s" % tok)
    return tok


def _plain(s):
    if s in ("true", "True"):
        return True
    if s in ("false", "False"):
        return False
    if s in ("null", "~", ""):
        return None
    if re.fullmatch(r"-?[0-9]+", s):
        return int(s)
    return s


def _flow_seq(s, line):
    out, rest = [], s[1:].strip()
    if rest == "]":
        return out
    item = re.compile(r"""\s*('(?:[^']|'')*'|"(?:[^"\\]|\\.)*"|[^,\]'"]+?)\s*(,|\])""")
    pos = 0
    while True:
        m = item.match(rest, pos)
        if m is None:
            raise YamlError(line, "cannot read flow list %s" % s)
        tok = m.group(1)
        out.append(_unquote(tok, line) if tok[:1] in "'\"" else _plain(tok.strip()))
        pos = m.end()
        if m.group(2) == "]":
            if rest[pos:].strip():
                raise YamlError(line, "text after flow list %s" % s)
            return out


def _scalar(s, line):
    s = s.strip()
    if s[:1] in ("'", '"'):
        q = s[0]
        if q == "'":
            m = re.match(r"'((?:[^']|'')*)'", s)
        else:
            m = re.match(r'"((?:[^"\\]|\\.)*)"', s)
        if m is None:
            raise YamlError(line, "unterminated quoted string")
        tail = s[m.end():].strip()
        if tail and not tail.startswith("#"):
            raise YamlError(line, "text after a quoted string: %s" % tail)
        return _unquote(m.group(0), line)
    if s.startswith("{"):
        try:
            return json.loads(s)
        except ValueError:
            if s == "{}":
                return {}
            raise YamlError(line, "flow mappings must be JSON: %s" % s[:60])
    if s.startswith("["):
        try:
            return json.loads(s)
        except ValueError:
            return _flow_seq(s, line)
    if s[:1] in ("&", "*", "!", "%", "@", "`", "|", ">"):
        raise YamlError(line, "unsupported YAML: %s" % s[:40])
    c = s.find(" #")
    if c >= 0:
        s = s[:c].rstrip()
    if ": " in s:
        raise YamlError(line, "a plain scalar holds ': ' (quote it): %s" % s[:60])
    return _plain(s)


class _Reader:
    def __init__(self, text):
        self.rows = []  # [indent, text, lineno]
        for no, raw in enumerate(text.split("\n"), 1):
            body = raw.rstrip()
            stripped = body.lstrip(" ")
            if stripped.startswith("\t"):
                raise YamlError(no, "tab in indentation")
            self.rows.append([len(body) - len(stripped), stripped, no])

    def skip(self, i):
        while i < len(self.rows) and (self.rows[i][1] == "" or self.rows[i][1].startswith("#")):
            i += 1
        return i

    def node(self, i, indent):
        i = self.skip(i)
        if i >= len(self.rows):
            return None, i
        if self.rows[i][1] == "-" or self.rows[i][1].startswith("- "):
            return self.seq(i, indent)
        return self.mapping(i, indent)

    def block(self, i, indent):
        lines, block_indent = [], None
        while i < len(self.rows):
            ind, text, _ = self.rows[i]
            if text == "":
                lines.append("")
                i += 1
                continue
            if ind <= indent:
                break
            if block_indent is None:
                block_indent = ind
            lines.append(" " * (ind - block_indent) + text)
            i += 1
        while lines and lines[-1] == "":
            lines.pop()
        return "\n".join(lines) + "\n", i

    def value(self, i, indent, rest, line):
        """The value of a key at indent whose text after ':' is rest; i is the next row."""
        if rest is None or rest.strip() == "" or rest.strip().startswith("#"):
            j = self.skip(i)
            if j < len(self.rows) and (self.rows[j][0] > indent or
                                       (self.rows[j][0] == indent and
                                        (self.rows[j][1] == "-" or self.rows[j][1].startswith("- ")))):
                return self.node(j, self.rows[j][0])
            return None, i
        if rest.strip() in ("|", "|-", "|+", ">", ">-", ">+"):
            return self.block(i, indent)
        return _scalar(rest, line), i

    def mapping(self, i, indent):
        out = {}
        while True:
            i = self.skip(i)
            if i >= len(self.rows):
                return out, i
            ind, text, no = self.rows[i]
            if ind < indent:
                return out, i
            if ind > indent:
                raise YamlError(no, "unexpected indentation")
            if text == "-" or text.startswith("- "):
                return out, i
            m = _KEY_RE.match(text)
            if m is None:
                raise YamlError(no, "expected 'key: value': %s" % text[:60])
            key = m.group(1).replace("''", "'") if m.group(1) is not None else \
                json.loads('"%s"' % m.group(2)) if m.group(2) is not None else m.group(3).strip()
            if key in out:
                raise YamlError(no, "duplicate key '%s'" % key)
            out[key], i = self.value(i + 1, indent, m.group(4), no)

    def seq(self, i, indent):
        out = []
        while True:
            i = self.skip(i)
            if i >= len(self.rows):
                return out, i
            ind, text, no = self.rows[i]
            if ind < indent or not (text == "-" or text.startswith("- ")):
                if ind > indent:
                    raise YamlError(no, "unexpected indentation")
                return out, i
            if ind > indent:
                raise YamlError(no, "unexpected indentation")
            item = text[1:].lstrip(" ")
            if item == "":
                v, i = self.node(i + 1, indent + 1)
                out.append(v)
                continue
            if item[:1] not in ("'", '"', "[", "{") and _KEY_RE.match(item):
                # "- key: value" opens a mapping at the column of key
                self.rows[i] = [ind + len(text) - len(item), item, no]
                v, i = self.mapping(i, self.rows[i][0])
                out.append(v)
                continue
            out.append(_scalar(item, no))
            i += 1


def load_yaml(text):
    r = _Reader(text)
    doc, i = r.node(0, 0)
    i = r.skip(i)
    if i < len(r.rows):
        raise YamlError(r.rows[i][2], "cannot read from here: %s" % r.rows[i][1][:60])
    return doc


# ---- the three sources ----

def docs_routes(text):
    routes = set()
    for m in re.finditer(r"\b(GET|PUT|POST|PATCH|DELETE|HEAD|OPTIONS) (/v1/[A-Za-z0-9_{}/\-.]*)", text):
        routes.add((m.group(1), m.group(2).rstrip("/.")))
    return routes


def _function(src, name):
    m = re.search(r"^%s\(" % re.escape(name), src, re.M)
    if m is None:
        return None
    end = re.search(r"^}", src[m.start():], re.M)
    return src[m.start():m.start() + end.end()] if end else src[m.start():]


_DELEGATE_CALL = re.compile(r"\b(api_[a-z_]+)\(\s*s\s*,\s*rq\s*,\s*rp\b")


def router_routes(src):
    """({path: (methods, allow)}, {delegate function: family root}) from
    api_dispatch and homes_sub. A branch that hands the request to a route
    function (api_carriers(s, rq, rp, ...)) is a family: every path at or
    under its root (if the branch also answers 405 itself, for its root,
    the root is an exact route too); homes_sub's fallback (api_home_org)
    gets whatever under /v1/homes/{id}/ homes_sub does not route."""
    out, families = {}, {}
    branch = re.compile(r"""strcmp\((p|sub), "([^"]+)"\) == 0|sub\[0\] == '\\0'"""
                        r"""|\} else if \(strncmp\(p, "([a-z-]+)/", \d+\) == 0\) \{""")
    for fn, prefix in (("api_dispatch", "/v1/"), ("homes_sub", "/v1/homes/{id}")):
        body = _function(src, fn)
        if body is None:
            continue
        marks = list(branch.finditer(body))
        for k, m in enumerate(marks):
            chunk = body[m.end():marks[k + 1].start() if k + 1 < len(marks) else len(body)]
            if m.group(3) is not None:
                # "} else if (strncmp(p, "clips/", 6) == 0) {": a branch of
                # its own only when it hands the request to a route
                # function (/v1/clips/...: api_clips); else ("homes/")
                # what follows is routed elsewhere (homes_sub, below).
                if fn == "api_dispatch":
                    for c in _DELEGATE_CALL.findall(chunk):
                        families[c] = prefix + m.group(3)
                continue
            if m.group(0).startswith("sub["):
                path = prefix
            elif m.group(1) == "sub":
                path = prefix + "/" + m.group(2)
            else:
                path = prefix + m.group(2)
            methods = set(re.findall(r'method_is\(rq, "([A-Z]+)"\)', chunk))
            allow = re.findall(r'not_allowed\(rp, "([^"]+)"\)', chunk)
            # homes_sub hands on only what it does not route (below)
            calls = _DELEGATE_CALL.findall(chunk) if fn == "api_dispatch" else []
            for c in calls:
                families[c] = path
            # A branch that delegates may still answer its root itself
            # (405 before 401); then the root is also checked exactly.
            if calls and not methods and not allow:
                continue
            out[path] = (methods, allow[0] if allow else None)
        if fn == "homes_sub":
            for c in _DELEGATE_CALL.findall(body):
                families[c] = prefix + "/"
    return out, families


def _functions(src):
    """{name: body} of the top-level function definitions (house style: the
    name starts its line, the body ends at the first '}' in column 0)."""
    out = {}
    for m in re.finditer(r"^([A-Za-z_]\w*)\(", src, re.M):
        body = _function(src, m.group(1))
        if body is not None:
            out.setdefault(m.group(1), body)
    return out


def _routing(body):
    return "not_allowed(" in body or "method_is(" in body


def route_evidence(src, fn):
    """What the route function fn (and the routing functions it calls in
    the same file) tells about its paths: the Allow strings it sends, the
    methods it tests, the literal path segments it compares, and the
    functions read. None if fn is not defined in src."""
    funcs = _functions(src)
    if fn not in funcs:
        return None
    seen, todo = [], [fn]
    while todo:
        f = todo.pop()
        if f in seen:
            continue
        seen.append(f)
        for callee in re.findall(r"\b([A-Za-z_]\w*)\(", funcs[f]):
            if callee in funcs and callee not in seen and _routing(funcs[callee]):
                todo.append(callee)
    text = "\n".join(funcs[f] for f in seen)
    allows = set(re.findall(r'not_allowed\(\s*rp\s*,\s*"([^"]+)"\s*\)', text))
    methods = set(re.findall(r'method_is\(\s*rq\s*,\s*"([A-Z]+)"\s*\)', text))
    methods |= set(re.findall(r'strcmp\(\s*rq->method\s*,\s*"([A-Z]+)"\s*\)', text))
    segs = set()
    for v, lit in re.findall(r'\bstrn?cmp\(\s*([A-Za-z_]\w*)\s*,\s*"([^"]*)"', text):
        lit = lit.strip("/")
        if re.fullmatch(r"[a-z][a-z0-9-]*", lit):
            segs.add(lit)
    return {"allows": allows, "methods": methods, "segs": segs, "functions": seen}


def family_paths(root, paths, exact):
    if root.endswith("/"):
        return sorted(p for p in paths if p.startswith(root) and p not in exact)
    return sorted(p for p in paths if p == root or p.startswith(root + "/"))


def literal_segments(root, path):
    rest = path[len(root):] if path.startswith(root) else path
    return {seg for seg in rest.split("/") if seg and not seg.startswith("{")}


# ---- the checks ----

def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    files = {k: os.path.join(root, v) for k, v in (("yaml", "docs/openapi.yaml"),
                                                   ("md", "docs/api.md"))}
    files.update({f: os.path.join(root, f) for f in ROUTE_FILES})
    text = {}
    for k, path in files.items():
        try:
            with open(path, encoding="utf-8") as f:
                text[k] = f.read()
        except OSError as e:
            print("check_openapi: cannot read %s: %s" % (path, e.strerror))
            return 2
    try:
        doc = load_yaml(text["yaml"])
    except YamlError as e:
        print("check_openapi: %s: %s" % (files["yaml"], e))
        return 2
    errors, notes = [], []

    def err(msg):
        errors.append(msg)

    def ref(node, seen=None):
        """Resolve local $refs."""
        seen = seen or set()
        while isinstance(node, dict) and "$ref" in node:
            r = node["$ref"]
            if not isinstance(r, str) or not r.startswith("#/") or r in seen:
                err("bad or circular $ref %r" % (r,))
                return {}
            seen.add(r)
            cur = doc
            for part in r[2:].split("/"):
                cur = cur.get(part) if isinstance(cur, dict) else None
            if cur is None:
                err("$ref %s points nowhere" % r)
                return {}
            node = cur
        return node

    if not isinstance(doc, dict) or str(doc.get("openapi")) != "3.0.3":
        err("openapi.yaml: 'openapi: 3.0.3' expected")
        doc = doc if isinstance(doc, dict) else {}
    paths = doc.get("paths") or {}
    if not paths:
        err("openapi.yaml: no paths")

    # 1. yaml <-> docs/api.md
    yroutes = {(m.upper(), p) for p, item in paths.items() for m in (item or {}) if m in METHODS}
    droutes = docs_routes(text["md"])
    for m, p in sorted(yroutes - droutes):
        err("%s %s is in docs/openapi.yaml but not a route in docs/api.md" % (m, p))
    for m, p in sorted(droutes - yroutes):
        err("%s %s is a route in docs/api.md but not in docs/openapi.yaml" % (m, p))

    # 2. yaml <-> porterd's router: api.c exactly, the route files by family
    api_c = text[ROUTE_FILES[0]]
    router, families = router_routes(api_c)
    for s in ROUTER_STRINGS:
        if not re.search(r'strcmp\((p|sub), "%s"\)' % re.escape(s), api_c):
            err('daemons/porterd/api.c: the router has no route "%s"' % s)
    if not re.search(r'strncmp\(p, "homes/", 6\)', api_c):
        err('daemons/porterd/api.c: the router does not route "homes/{id}"')
    covered = set()
    for fn, froot in sorted(families.items()):
        fpaths = family_paths(froot, paths, router)
        covered.update(fpaths)
        where = [f for f in ROUTE_FILES if re.search(r"^%s\(" % re.escape(fn), text[f], re.M)]
        if not where:
            err("daemons/porterd/api.c hands %s... to %s(), which no route file defines"
                % (froot, fn))
            continue
        ev = route_evidence(text[where[0]], fn)
        src = "%s() in %s" % (fn, where[0])
        # Several route functions behind one root (homes_sub's fallbacks:
        # api_home_org, api_home_clip): each owns the paths whose first
        # literal segment it compares.
        if ev is not None and sum(1 for r in families.values() if r == froot) > 1:
            fpaths = [q for q in fpaths
                      if (sorted(literal_segments(froot, q), key=q.find) or [""])[0] in ev["segs"]]
        if not ev["allows"] and not ev["methods"]:
            notes.append("%s routes nothing yet (placeholder): %s not checked against it"
                         % (src, ", ".join(fpaths) or froot))
            continue
        if not fpaths:
            err("%s routes %s..., but docs/openapi.yaml has no path there" % (src, froot))
            continue
        yallows = {str(paths[p].get("x-allow")) for p in fpaths if paths[p]}
        ymethods = {m.upper() for p in fpaths for m in (paths[p] or {}) if m in METHODS}
        ysegs = set().union(*(literal_segments(froot, p) for p in fpaths))
        for p in fpaths:
            item = paths[p] or {}
            allow = item.get("x-allow")
            ym = {m.upper() for m in item if m in METHODS}
            if allow not in ev["allows"]:
                err('%s: x-allow is %r, but %s never sends that Allow (it sends: %s)'
                    % (p, allow, src, "; ".join(sorted(ev["allows"])) or "none"))
            elif {a.strip() for a in str(allow).split(",")} != ym:
                err("%s: x-allow is %r but docs/openapi.yaml documents %s"
                    % (p, allow, ", ".join(sorted(ym)) or "no method"))
            for m in sorted(ym - ev["methods"]):
                err("%s: %s is in docs/openapi.yaml, but %s never tests for %s"
                    % (p, m, src, m))
            for seg in sorted(literal_segments(froot, p) - ev["segs"]):
                err('%s: %s never compares a path segment with "%s"' % (p, src, seg))
        for a in sorted(ev["allows"] - yallows):
            err('%s sends "Allow: %s", the x-allow of no path under %s in docs/openapi.yaml'
                % (src, a, froot))
        for m in sorted(ev["methods"] - ymethods):
            err("%s serves %s, which no path under %s in docs/openapi.yaml has"
                % (src, m, froot))
        for seg in sorted(ev["segs"] - ysegs):
            err('%s routes a path segment "%s" that no path under %s in docs/openapi.yaml has'
                % (src, seg, froot))
    for p in sorted(set(paths) - set(router) - covered):
        err("%s is in docs/openapi.yaml but not routed by porterd (daemons/porterd/api.c)" % p)
    for p in sorted(set(router) - set(paths)):
        err("%s is routed by daemons/porterd/api.c but not in docs/openapi.yaml" % p)
    for p in sorted(set(paths) & set(router)):
        item = paths[p] or {}
        ym = {m.upper() for m in item if m in METHODS}
        cm, allow = router[p]
        if ym != cm:
            err("%s: methods %s in docs/openapi.yaml, %s in daemons/porterd/api.c"
                % (p, ", ".join(sorted(ym)) or "none", ", ".join(sorted(cm)) or "none"))
        if allow is None:
            err("%s: daemons/porterd/api.c answers no 405 with Allow" % p)
        else:
            if {a.strip() for a in allow.split(",")} != cm:
                err('%s: daemons/porterd/api.c sends "Allow: %s" but serves %s'
                    % (p, allow, ", ".join(sorted(cm))))
            if item.get("x-allow") != allow:
                err('%s: x-allow is %r, daemons/porterd/api.c sends "Allow: %s"'
                    % (p, item.get("x-allow"), allow))

    # 3. and 4. every operation
    comp_schemas = (doc.get("components") or {}).get("schemas") or {}
    for p, item in paths.items():
        item = item or {}
        allow = item.get("x-allow")
        for m, op in item.items():
            if m not in METHODS:
                continue
            where = "%s %s" % (m.upper(), p)
            op = op or {}
            responses = op.get("responses") or {}
            if not responses:
                err("%s: no responses" % where)
            for status, resp in responses.items():
                status = str(status)
                r = ref(resp)
                headers = r.get("headers") or {}
                if "X-Request-Id" not in headers:
                    err("%s: response %s has no X-Request-Id header" % (where, status))
                content = (r.get("content") or {}).get("application/json")
                if status.startswith(("4", "5")):
                    sch = (content or {}).get("schema") or {}
                    if sch.get("$ref") != "#/components/schemas/Error":
                        err("%s: response %s does not use the Error schema" % (where, status))
                elif status.startswith("2") and content is not None:
                    if not (content.get("examples") or "example" in content):
                        err("%s: response %s has no example" % (where, status))
                elif status.startswith("2"):
                    for ct, bin_content in (r.get("content") or {}).items():
                        if not ((bin_content or {}).get("examples") or "example" in (bin_content or {})):
                            err("%s: response %s (%s) has no example" % (where, status, ct))
                if status == "429" and "Retry-After" not in headers:
                    err("%s: 429 has no Retry-After header" % where)
                if status == "405":
                    want = "#/components/responses/NotAllowed_" + "_".join(
                        a.strip() for a in str(allow).split(","))
                    if not isinstance(resp, dict) or resp.get("$ref") != want:
                        err("%s: 405 should be $ref %s" % (where, want))
                    a = ref({"$ref": want}).get("headers", {}).get("Allow") or {}
                    if (a.get("schema") or {}).get("enum") != [allow]:
                        err("%s: %s does not send Allow: %s" % (where, want, allow))
            if "405" not in {str(s) for s in responses}:
                err("%s: no 405 response" % where)
            if op.get("security") != [] and "401" not in {str(s) for s in responses}:
                err("%s: authenticated, but no 401 response" % where)
            body = op.get("requestBody")
            if body is not None:
                # JSON bodies, or one binary type (the cameras' uploads:
                # application/octet-stream, application/cbor).
                types = ref(body).get("content") or {}
                ctype = "application/json" if "application/json" in types or not types \
                    else sorted(types)[0]
                content = types.get(ctype) or {}
                if not (content.get("examples") or "example" in content):
                    err("%s: request body has no example" % where)
                sch = ref(content.get("schema") or {})
                if ctype == "application/json" and sch.get("additionalProperties") is not False:
                    err("%s: request body schema lacks additionalProperties: false" % where)
                for s in ("400", "413", "415"):
                    if s not in {str(x) for x in responses}:
                        err("%s: takes a body but has no %s response" % (where, s))
    for name, sch in comp_schemas.items():
        if isinstance(sch, dict) and sch.get("type") == "object" and sch.get("additionalProperties") is not False:
            err("components.schemas.%s: object without additionalProperties: false" % name)

    for n in notes:
        print("check_openapi: note: " + n)
    if errors:
        for e in errors:
            print("check_openapi: " + e)
        print("check_openapi: %d mismatch%s" % (len(errors), "" if len(errors) == 1 else "es"))
        return 1
    print("check_openapi: ok (%d routes; docs/api.md and porterd's router in %s agree%s)"
          % (len(yroutes), ", ".join(os.path.basename(f) for f in ROUTE_FILES),
             ", but for the notes above" if notes else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
