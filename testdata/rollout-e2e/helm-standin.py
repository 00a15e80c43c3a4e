#!/usr/bin/env python3
"""A stand-in for the helm binary in the rollout scale test (tests/rollout_scale.rs).

Two thousand real `helm upgrade` runs (20 rollouts over 100 fake clusters) cost more CPU
than the test budget allows, so this script does what the rollout needs from helm and
nothing more, through the fake API server's HTTP interface:

- `version --short` prints a helm 3.17 version;
- `upgrade --install RELEASE CHART --namespace NS --kube-context CTX ... --labels K=V`
  creates the namespace if needed, marks the deployed revision superseded and writes the
  next revision as a real Helm release Secret (`sh.helm.release.v1.RELEASE.vN`, type
  `helm.sh/release.v1`, data base64(gzip(JSON)) like Helm's storage driver), with the
  labels Helm puts there plus the `--labels` ones;
- `rollback RELEASE REVISION ...` writes a new revision copying the target's chart.

The servers of the kube contexts come from the JSON file named by FAKE_HELM_SERVERS
(`{"context": "http://127.0.0.1:port"}`), since the fleet's clusters are plain HTTP without
credentials.
"""
import base64
import datetime
import gzip
import json
import os
import sys
import urllib.error
import urllib.request


def fail(msg):
    sys.stderr.write("Error: " + msg + "\n")
    sys.exit(1)


def request(server, method, path, body=None, content_type="application/json"):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(server + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, None


def parse(argv):
    positional, flags = [], {}
    i = 0
    while i < len(argv):
        a = argv[i]
        if a.startswith("--"):
            if "=" in a:
                k, v = a[2:].split("=", 1)
                flags.setdefault(k, []).append(v)
            elif a[2:] in ("install", "create-namespace", "short", "wait", "atomic"):
                flags.setdefault(a[2:], []).append("true")
            else:
                flags.setdefault(a[2:], []).append(argv[i + 1] if i + 1 < len(argv) else "")
                i += 1
        elif a.startswith("-") and len(a) == 2:
            flags.setdefault(a[1:], []).append(argv[i + 1] if i + 1 < len(argv) else "")
            i += 1
        else:
            positional.append(a)
        i += 1
    return positional, flags


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def encode(release):
    raw = gzip.compress(json.dumps(release).encode(), compresslevel=9)
    inner = base64.b64encode(raw)
    return base64.b64encode(inner).decode()


def decode(data):
    inner = base64.b64decode(data)
    return json.loads(gzip.decompress(base64.b64decode(inner)))


def history(server, ns, name):
    sel = "owner%3Dhelm%2Cname%3D" + name
    code, body = request(server, "GET", f"/api/v1/namespaces/{ns}/secrets?labelSelector={sel}")
    if code != 200:
        return []
    return body.get("items") or []


def write(server, ns, name, release, labels):
    version = release["version"]
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "helm.sh/release.v1",
        "metadata": {
            "name": f"sh.helm.release.v1.{name}.v{version}",
            "namespace": ns,
            "labels": dict(labels, name=name, owner="helm", status="deployed", version=str(version)),
        },
        "data": {"release": encode(release)},
    }
    code, _ = request(server, "POST", f"/api/v1/namespaces/{ns}/secrets", secret)
    if code != 201:
        fail(f"cannot create the release record (HTTP {code})")


def supersede(server, ns, items):
    for s in items:
        if s["metadata"]["labels"].get("status") != "deployed":
            continue
        rel = decode(s["data"]["release"])
        rel["info"]["status"] = "superseded"
        s["data"]["release"] = encode(rel)
        s["metadata"]["labels"]["status"] = "superseded"
        name = s["metadata"]["name"]
        code, _ = request(server, "PUT", f"/api/v1/namespaces/{ns}/secrets/{name}", s)
        if code != 200:
            fail(f"cannot update {name} (HTTP {code})")


def chart_metadata(path):
    meta = {}
    with open(os.path.join(path, "Chart.yaml")) as f:
        for line in f:
            if ":" in line and not line.startswith(" "):
                k, v = line.split(":", 1)
                meta[k.strip()] = v.strip().strip('"')
    return {"name": meta.get("name", ""), "version": meta.get("version", ""),
            "appVersion": meta.get("appVersion", meta.get("version", ""))}


def main():
    positional, flags = parse(sys.argv[1:])
    if not positional:
        fail("no command")
    cmd = positional[0]
    if cmd == "version":
        print("v3.17.3+gstandin")
        return
    with open(os.environ["FAKE_HELM_SERVERS"]) as f:
        servers = json.load(f)
    ctx = flags.get("kube-context", [""])[-1]
    server = servers.get(ctx) or fail(f'context "{ctx}" does not exist')
    ns = flags.get("namespace", ["default"])[-1]
    if cmd == "upgrade":
        name, chart = positional[1], positional[2]
        labels = {}
        for spec in flags.get("labels", []):
            for kv in spec.split(","):
                k, v = kv.split("=", 1)
                labels[k] = v
        request(server, "POST", "/api/v1/namespaces",
                {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
        items = history(server, ns, name)
        version = 1 + max([int(s["metadata"]["labels"]["version"]) for s in items] or [0])
        supersede(server, ns, items)
        t = now()
        release = {
            "name": name, "namespace": ns, "version": version,
            "info": {"first_deployed": t, "last_deployed": t, "status": "deployed",
                     "description": "Install complete" if version == 1 else "Upgrade complete"},
            "chart": {"metadata": chart_metadata(chart)}, "config": {}, "manifest": "",
        }
        write(server, ns, name, release, labels)
        print(f'Release "{name}" has been upgraded. Happy Helming!')
    elif cmd == "rollback":
        name, target = positional[1], int(positional[2])
        items = history(server, ns, name)
        old = [s for s in items if int(s["metadata"]["labels"]["version"]) == target]
        if not old:
            fail(f'release: not found')
        rel = decode(old[0]["data"]["release"])
        version = 1 + max(int(s["metadata"]["labels"]["version"]) for s in items)
        supersede(server, ns, items)
        rel["version"] = version
        rel["info"].update({"status": "deployed", "last_deployed": now(),
                            "description": f"Rollback to {target}"})
        write(server, ns, name, rel, {})
        print("Rollback was a success! Happy Helming!")
    else:
        fail(f"the stand-in does not implement `{cmd}`")


main()
