"""Records S3 requests exactly as botocore builds and signs them, without sending anything.

Run from this directory: python3 record.py > requests.txt
Each record is "### name", "METHOD target", headers, a blank line, "body: <base64>".
"""
import base64
import hashlib
import sys

import botocore.session
from botocore.awsrequest import AWSResponse
from botocore.config import Config

ACCESS, SECRET = "AKIDWCACHETEST", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
records = []


class Raw:
    def __init__(self, body):
        self.body = body

    def stream(self, **kwargs):
        yield self.body


def capture(request, **kwargs):
    body = request.body
    if hasattr(body, "read"):
        body = body.read()
    if isinstance(body, str):
        body = body.encode("utf-8")
    target = request.url.split("://", 1)[1]
    target = target[target.index("/"):]
    records.append((request.method, target, list(request.headers.items()), body or b""))
    return AWSResponse(request.url, 200, {"ETag": '"0"', "Content-Length": "0"}, Raw(b""))


session = botocore.session.get_session()
client = session.create_client(
    "s3", region_name="us-east-1", endpoint_url="http://127.0.0.1:9000",
    aws_access_key_id=ACCESS, aws_secret_access_key=SECRET,
    config=Config(s3={"addressing_style": "path"}, signature_version="s3v4",
                  retries={"max_attempts": 1}))
client.meta.events.register("before-send.s3.*", capture)

names = []


def call(name, fn):
    names.append(name)
    before = len(records)
    try:
        fn()
    except Exception:  # responses are fake; only the request matters
        pass
    if len(records) == before:
        names.pop()


keys = ["plain.txt", "dir/a b+c", "we!rd*(chars)'&$@=;:,?#[]", "ünï/cödé ☃", "tilde~and%percent"]
for i, key in enumerate(keys):
    call("put " + key, lambda key=key: client.put_object(Bucket="bucket", Key=key, Body=b"hello " + key.encode(),
                                                         Metadata={"color": "blue", "note": "a  b"}))
call("put with content-md5", lambda: client.put_object(
    Bucket="bucket", Key="md5", Body=b"payload", ContentMD5=base64.b64encode(hashlib.md5(b"payload").digest()).decode(), ContentType="text/plain"))
call("get range with override", lambda: client.get_object(
    Bucket="bucket", Key="dir/a b+c", Range="bytes=0-9", ResponseContentType="text/plain", IfNoneMatch='"x"'))
call("list v2", lambda: client.list_objects_v2(Bucket="bucket", Prefix="dir/a b+", Delimiter="/", MaxKeys=7,
                                               StartAfter="dir/a", EncodingType="url"))
call("delete objects", lambda: client.delete_objects(Bucket="bucket", Delete={"Objects": [{"Key": "a&b"}, {"Key": "c"}]}))
call("copy", lambda: client.copy_object(Bucket="bucket", Key="dst", CopySource={"Bucket": "src", "Key": "a b/ü"}))
call("upload part", lambda: client.upload_part(Bucket="bucket", Key="big", UploadId="u 1", PartNumber=2, Body=b"x" * 5000))

for name, (method, target, headers, body) in zip(names, records):
    print("### " + name)
    print(method + " " + target)
    for k, v in headers:
        if isinstance(v, bytes):
            v = v.decode("latin-1")
        print(k + ": " + v)
    print()
    print("body: " + base64.b64encode(body).decode("ascii"))

url = client.generate_presigned_url("get_object", Params={"Bucket": "bucket", "Key": "dir/a b+c"}, ExpiresIn=900)
target = url.split("://", 1)[1]
print("### presigned get")
print("GET " + target[target.index("/"):])
print("Host: 127.0.0.1:9000")
print()
print("body: ")
sys.stdout.flush()
