"""Split a rootfs tarball into a multi-layer image, the way a Dockerfile
would have built it (base system, then Python, then the rest), and write
it as a docker save archive (plain layer tars) and an oci-archive (gzip
layers), plus the layer tars alone for `tar -xf` to compare against.

usage: mklayers.py ROOTFS.tar OUTDIR"""
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile

# first matching prefix wins; the last layer takes the rest
LAYERS = [
    ("python", ("usr/lib/python3", "usr/lib/x86_64-linux-gnu/libpython", "usr/bin/python")),
    ("libs", ("usr/lib/",)),
    ("share", ("usr/share/",)),
    ("base", ("",)),
]


def layer_of(name):
    for i, (_, prefixes) in enumerate(LAYERS):
        if any(name.startswith(p) for p in prefixes):
            return i
    return len(LAYERS) - 1


def split(src, outdir):
    tars = [tarfile.open(f"{outdir}/layer{i}.tar", "w", format=tarfile.PAX_FORMAT)
            for i in range(len(LAYERS))]
    dirs, written, where = {}, [set() for _ in LAYERS], {}
    with tarfile.open(src) as t:
        for m in t:
            name = m.name.lstrip("./").rstrip("/")
            if not name or m.isdev():
                continue
            if m.isdir():
                dirs[name] = m
            i = layer_of(name + "/" if m.isdir() else name)
            # parent directories first, as docker writes them
            parts = name.split("/")[:-1]
            for k in range(1, len(parts) + 1):
                p = "/".join(parts[:k])
                if p not in written[i] and p in dirs:
                    tars[i].addfile(dirs[p])
                    written[i].add(p)
            if m.isdir():
                if name not in written[i]:
                    tars[i].addfile(m)
                    written[i].add(name)
                continue
            if m.islnk() and where.get(m.linkname.lstrip("./")) != i:
                # hard link across layers: store a copy instead
                target = t.getmember(m.linkname)
                copy = tarfile.TarInfo(m.name)
                copy.size, copy.mode, copy.uid, copy.gid = target.size, target.mode, target.uid, target.gid
                copy.mtime = target.mtime
                tars[i].addfile(copy, t.extractfile(target))
            else:
                tars[i].addfile(m, t.extractfile(m) if m.isfile() else None)
            where[name] = i
    for x in tars:
        x.close()
    # base first in the image
    return [f"{outdir}/layer{i}.tar" for i in reversed(range(len(LAYERS)))]


def sha(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b)
    return h.hexdigest()


def main():
    src, outdir = sys.argv[1], sys.argv[2]
    os.makedirs(outdir, exist_ok=True)
    layers = split(src, outdir)
    diffs = [sha(p) for p in layers]
    config = json.dumps({"architecture": "amd64", "os": "linux",
                         "config": {"Env": ["PATH=/usr/local/bin:/usr/bin:/bin"],
                                    "Labels": {"org.inginious.grading.name": "bench"}},
                         "rootfs": {"type": "layers", "diff_ids": ["sha256:" + d for d in diffs]}}).encode()
    cfg = hashlib.sha256(config).hexdigest()
    with tarfile.open(f"{outdir}/docker.tar", "w") as t:
        for p, d in zip(layers, diffs):
            t.add(p, f"{d}/layer.tar")
        t.addfile(tarfile.TarInfo(cfg + ".json"), io.BytesIO(config)) if False else None
        info = tarfile.TarInfo(cfg + ".json")
        info.size = len(config)
        t.addfile(info, io.BytesIO(config))
        man = json.dumps([{"Config": cfg + ".json", "RepoTags": ["bench:latest"],
                           "Layers": [f"{d}/layer.tar" for d in diffs]}]).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(man)
        t.addfile(info, io.BytesIO(man))
    blobs, descs = {}, []
    for i, p in enumerate(layers):
        gz = f"{outdir}/layer{i}.tar.gz"
        with open(p, "rb") as f, gzip.open(gz, "wb", compresslevel=6) as g:
            for b in iter(lambda: f.read(1 << 20), b""):
                g.write(b)
        d = sha(gz)
        blobs[d] = gz
        descs.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                      "digest": "sha256:" + d, "size": os.path.getsize(gz)})
    manifest = json.dumps({"schemaVersion": 2,
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                      "digest": "sha256:" + cfg, "size": len(config)},
                           "layers": descs}).encode()
    mdig = hashlib.sha256(manifest).hexdigest()
    index = json.dumps({"schemaVersion": 2, "manifests": [
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + mdig,
         "size": len(manifest)}]}).encode()
    with tarfile.open(f"{outdir}/oci.tar", "w") as t:
        for name, data in [("oci-layout", b'{"imageLayoutVersion":"1.0.0"}'), ("index.json", index),
                           (f"blobs/sha256/{cfg}", config), (f"blobs/sha256/{mdig}", manifest)]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
        for d, p in blobs.items():
            t.add(p, f"blobs/sha256/{d}")
    with open(f"{outdir}/layers.txt", "w") as f:
        f.write("\n".join(os.path.basename(p) for p in layers) + "\n")


main()
