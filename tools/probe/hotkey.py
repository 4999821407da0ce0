#!/usr/bin/env python3
"""Overwrites the same keys again and again through one keep-alive connection (raw HTTP with SigV4
headers, as probe.py sends) and prints the PUT p50/p99 of every 2,000 requests, so that a latency
that grows with the number of overwrites shows.

  python3 tools/probe/hotkey.py --target wcache=http://127.0.0.1:9000/demo --requests 20000 --keys 1
"""
import argparse, os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import probe

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--target', required=True, help='name=http://host:port/bucket[,access,secret]')
    ap.add_argument('--requests', type=int, default=20000)
    ap.add_argument('--keys', type=int, default=1, help='distinct keys written in turn')
    ap.add_argument('--size', type=int, default=10240)
    ap.add_argument('--window', type=int, default=2000)
    a = ap.parse_args()
    t = probe.Target(a.target)
    body = os.urandom(a.size)
    lat = []
    for i in range(a.requests):
        dt, _ = t.call('PUT', f'hot/k{i % a.keys}', body)
        lat.append(dt * 1000)
        if (i + 1) % a.window == 0:
            w = sorted(lat[-a.window:])
            print(f'{i + 1:7d} PUTs: p50 {w[len(w) // 2]:.3f} ms, p99 {w[int(len(w) * 0.99)]:.3f} ms', flush=True)

if __name__ == '__main__':
    main()
