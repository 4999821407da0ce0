#!/usr/bin/env python3
"""Times full ListObjectsV2 listings of a prefix through raw HTTP with SigV4 headers (one keep-alive
connection, no SDK response parsing), so the figure is the server's, not the client's XML parser's.

    tools/probe/listing.py [--endpoint http://127.0.0.1:9000] [--bucket demo] [--prefix cold/] [--rounds 5]

Credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (default: the demo key of ./wcache serve).
Prints each listing's keys, pages and time, then the median.
"""
import argparse, http.client, os, re, statistics, time, urllib.parse
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--endpoint', default='http://127.0.0.1:9000')
    ap.add_argument('--bucket', default='demo')
    ap.add_argument('--prefix', default='cold/')
    ap.add_argument('--rounds', type=int, default=5)
    ap.add_argument('--max-keys', type=int, default=1000)
    a = ap.parse_args()
    creds = Credentials(os.environ.get('AWS_ACCESS_KEY_ID', 'wcache'), os.environ.get('AWS_SECRET_ACCESS_KEY', 'wcache-secret'))
    url = urllib.parse.urlsplit(a.endpoint)
    conn = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=120)

    def get(query):
        path = '/' + a.bucket + '?' + query
        req = AWSRequest(method='GET', url=a.endpoint + path, headers={'x-amz-content-sha256': EMPTY_SHA256})
        SigV4Auth(creds, 's3', os.environ.get('AWS_DEFAULT_REGION', 'us-east-1')).add_auth(req)
        conn.request('GET', path, headers=dict(req.headers.items()))
        r = conn.getresponse()
        body = r.read().decode()
        if r.status != 200:
            raise SystemExit(f'listing failed: HTTP {r.status}: {body[:300]}')
        return body

    times, keys, pages = [], 0, 0
    for rnd in range(a.rounds):
        start, keys, pages, token = time.perf_counter(), 0, 0, None
        while True:
            q = f'list-type=2&max-keys={a.max_keys}&prefix=' + urllib.parse.quote(a.prefix, safe='')
            if token:
                q = 'continuation-token=' + urllib.parse.quote(token, safe='') + '&' + q
            body = get(q)
            pages += 1
            keys += body.count('<Key>')
            m = re.search(r'<NextContinuationToken>([^<]*)<', body)
            if not m:
                break
            token = m.group(1)
        times.append((time.perf_counter() - start) * 1000)
        print(f'round {rnd}: {keys} keys, {pages} pages, {times[-1]:.0f} ms', flush=True)
    med = statistics.median(times)
    print(f'median {med:.0f} ms per full listing of {keys} keys ({med / max(pages, 1):.1f} ms per page)')


if __name__ == '__main__':
    main()
