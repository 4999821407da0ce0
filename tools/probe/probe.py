#!/usr/bin/env python3
"""A light S3 client for latency probes: one keep-alive HTTP connection per target, SigV4 headers
signed here (UNSIGNED-PAYLOAD), no SDK. Each round PUTs N 10 KiB objects, then GETs each one right
after its PUT (GET-after-write), and reports p50/p99 per target; rounds alternate between targets
so drift of a shared machine hits every target alike.

  probe.py --target NAME=http://127.0.0.1:9000/bucket[,ACCESS,SECRET] ... [--rounds 3] [--requests 2000]
"""
import argparse, hashlib, hmac, http.client, os, statistics, sys, time, urllib.parse
from datetime import datetime, timezone

def sign(method, host, path, access, secret, region='us-east-1'):
    now = datetime.now(timezone.utc)
    amz = now.strftime('%Y%m%dT%H%M%SZ'); day = amz[:8]
    headers = {'host': host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', 'x-amz-date': amz}
    names = sorted(headers)
    canonical = '\n'.join([method, urllib.parse.quote(path, safe='/~'), '',
                           ''.join(f'{n}:{headers[n]}\n' for n in names), ';'.join(names), 'UNSIGNED-PAYLOAD'])
    scope = f'{day}/{region}/s3/aws4_request'
    to_sign = '\n'.join(['AWS4-HMAC-SHA256', amz, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    k = hmac.new(('AWS4' + secret).encode(), day.encode(), hashlib.sha256).digest()
    for part in (region, 's3', 'aws4_request'):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    sig = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
    headers['authorization'] = (f'AWS4-HMAC-SHA256 Credential={access}/{scope}, '
                                f'SignedHeaders={";".join(names)}, Signature={sig}')
    del headers['host']
    return headers

class Target:
    def __init__(self, spec):
        name, rest = spec.split('=', 1)
        parts = rest.split(',')
        u = urllib.parse.urlparse(parts[0])
        self.name, self.host, self.prefix = name, u.netloc, u.path.rstrip('/')
        self.access, self.secret = (parts[1], parts[2]) if len(parts) == 3 else ('wcache', 'wcache-secret')
        self.conn = http.client.HTTPConnection(u.hostname, u.port)
        self.put, self.get = [], []

    def call(self, method, key, body=None):
        path = f'{self.prefix}/{key}'
        h = sign(method, self.host, path, self.access, self.secret)
        if body is not None:
            h['content-length'] = str(len(body))
        t = time.perf_counter()
        try:
            self.conn.request(method, path, body=body, headers=h)
            r = self.conn.getresponse(); data = r.read()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            # The server closed the connection while it sat idle (the other targets' rounds ran):
            # reconnect, as any keep-alive client does, and time the request on the new connection.
            self.conn.close()
            self.conn = http.client.HTTPConnection(self.conn.host, self.conn.port)
            self.conn.connect()
            h = sign(method, self.host, path, self.access, self.secret)
            if body is not None:
                h['content-length'] = str(len(body))
            t = time.perf_counter()
            self.conn.request(method, path, body=body, headers=h)
            r = self.conn.getresponse(); data = r.read()
        dt = time.perf_counter() - t
        if r.status != 200:
            sys.exit(f'{self.name}: {method} {path} answered {r.status}: {data[:300]!r}')
        return dt, data

def pct(xs, q):
    s = sorted(xs); return s[min(len(s) - 1, int(q * len(s)))] * 1e3

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--target', action='append', required=True)
    ap.add_argument('--rounds', type=int, default=3)
    ap.add_argument('--requests', type=int, default=2000)
    ap.add_argument('--size', type=int, default=10240)
    ap.add_argument('--keys', type=int, default=100,
                    help='distinct keys per round, each PUT overwriting one (0: every PUT a new key)')
    ap.add_argument('--pause', type=float, default=2.0,
                    help='seconds of quiet before each target\'s round, so that work a write-back target '
                         'does after a round (its uploads) does not land in the next target\'s round')
    a = ap.parse_args()
    targets = [Target(s) for s in a.target]
    body = os.urandom(a.size)
    for t in targets:  # warm-up
        for i in range(200):
            t.call('PUT', f'probe/warm{i % 20}', body); t.call('GET', f'probe/warm{i % 20}')
    rows = {t.name: [] for t in targets}
    for r in range(a.rounds):
        for t in (targets if r % 2 == 0 else list(reversed(targets))):
            puts, gets = [], []
            time.sleep(a.pause)
            for i in range(a.requests):
                key = f'probe/r{r}-{i % a.keys}' if a.keys > 0 else f'probe/r{r}-{i}'
                puts.append(t.call('PUT', key, body)[0])
                dt, data = t.call('GET', key)
                if len(data) != a.size:
                    sys.exit(f'{t.name}: GET {key} returned {len(data)} bytes')
                gets.append(dt)
            rows[t.name].append((statistics.median(puts) * 1e3, pct(puts, 0.99), statistics.median(gets) * 1e3, pct(gets, 0.99)))
            print(f'round {r + 1} {t.name:>10}: PUT p50 {rows[t.name][-1][0]:.3f} ms p99 {rows[t.name][-1][1]:.3f} ms, '
                  f'GET p50 {rows[t.name][-1][2]:.3f} ms p99 {rows[t.name][-1][3]:.3f} ms', flush=True)
    base = targets[-1].name
    print(f'\n| target | PUT p50 ms (per round) | GET p50 ms (per round) | PUT p50 / {base} | GET p50 / {base} |')
    print('| --- | --- | --- | ---: | ---: |')
    for t in targets:
        pr = [x[0] for x in rows[t.name]]; gr = [x[2] for x in rows[t.name]]
        pb = [x[0] for x in rows[base]]; gb = [x[2] for x in rows[base]]
        rp = statistics.median([p / q for p, q in zip(pr, pb)]); rg = statistics.median([p / q for p, q in zip(gr, gb)])
        print(f'| {t.name} | {", ".join(f"{x:.2f}" for x in pr)} | {", ".join(f"{x:.2f}" for x in gr)} | {rp:.2f} | {rg:.2f} |')

if __name__ == '__main__':
    main()
