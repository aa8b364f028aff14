#!/bin/sh
# busybox httpd runs this for "/" (there is no index.html). Headers end in CRLF, as HTTP requires.
printf 'Content-Type: text/plain\r\n\r\n'
echo "Hostname: $(hostname)"
for ip in $(hostname -i 2>/dev/null); do echo "IP: $ip"; done
echo "Request: ${REQUEST_METHOD:-GET} ${REQUEST_URI:-/}"
