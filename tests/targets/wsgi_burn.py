"""A WSGI app whose every request burns CPU in burn_request (some 30 ms),
for tests that profile a real gunicorn with its workers."""
import os


def burn_request(n):
    total = 0
    for i in range(n):
        total += i * i % 7
    return total


def app(environ, start_response):
    value = burn_request(300000)
    body = ("pid %d value %d\n" % (os.getpid(), value)).encode()
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", str(len(body)))])
    return [body]
