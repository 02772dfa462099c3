"""certs.py — a throw-away test CA and a server certificate for the fake Salesforce.

Made at test time with the `openssl` command line (nothing is checked in), so that the plugin's TLS path is the
one tested: the plugin verifies the fake's certificate against the CA given as its `caBundle` setting.

make_test_pki(folder) writes into `folder`:
    ca.pem          the test CA certificate (what `caBundle` points at)
    server.pem      the server certificate, for 127.0.0.1 and localhost, signed by the CA
    server.key      its private key
    other-ca.pem    an unrelated CA, for tests that must see verification fail
and returns a dict of those paths. Existing files are reused, so several fakes may share one folder.
"""
import os
import subprocess

_EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]


def _openssl(args, cwd):
    # Check the outcome: a missing or failing openssl must stop the test loudly, not later with a TLS error.
    proc = subprocess.run(["openssl"] + args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        raise RuntimeError("openssl %s failed: %s" % (args[0], proc.stderr.strip()))


def _make_ca(folder, stem, cn):
    _openssl(["req", "-x509"] + _EC + ["-keyout", stem + ".key", "-out", stem + ".pem", "-days", "3",
                                        "-subj", "/CN=" + cn,
                                        "-addext", "basicConstraints=critical,CA:TRUE",
                                        "-addext", "keyUsage=critical,keyCertSign,cRLSign"], folder)


def make_test_pki(folder):
    """Creates (or reuses) the test CA and server certificate in `folder`; returns their paths."""
    os.makedirs(folder, exist_ok=True)
    paths = {name: os.path.join(folder, name) for name in ("ca.pem", "server.pem", "server.key", "other-ca.pem")}
    if all(os.path.exists(p) for p in paths.values()):
        return paths
    _make_ca(folder, "ca", "ActionPlane fake Salesforce test CA")
    _make_ca(folder, "other-ca", "An unrelated test CA")
    with open(os.path.join(folder, "server.ext"), "w") as ext:
        ext.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                  "basicConstraints=critical,CA:FALSE\n"
                  "keyUsage=critical,digitalSignature,keyEncipherment\n"
                  "extendedKeyUsage=serverAuth\n")
    _openssl(["req"] + _EC + ["-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"], folder)
    _openssl(["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
              "-out", "server.pem", "-days", "3", "-extfile", "server.ext"], folder)
    return paths
