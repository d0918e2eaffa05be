#!/usr/bin/env python3
"""A Splunk external lookup: who held each event's IP address at the event's time, asked of whohad.

Splunk runs it with the names of the input fields as arguments, writes the rows to look up as CSV on
standard input (a header of every field in the lookup's fields_list, the input fields filled in), and
reads the same CSV back on standard output with the output fields filled in. All rows go to whohad in
one NDJSON request (POST /v1/lookups, Content-Type: application/x-ndjson), whose answers come back one
line per lookup, in order.

transforms.conf:

    [whohad]
    external_cmd = whohad_lookup.py ip time
    fields_list = ip, time, whohad_certainty, whohad_account, whohad_region, whohad_eni, whohad_instance, whohad_kind, whohad_resource, whohad_vpc, whohad_coverage, whohad_error

A search: ... | lookup whohad ip AS src_ip, time AS _time OUTPUT whohad_instance whohad_certainty

Configuration, from the environment: WHOHAD_URL (default http://127.0.0.1:8080), WHOHAD_API_KEY (a key
with the lookup scope; unset for a server that runs open), WHOHAD_WINDOW (a window around each time,
like 5m; unset: the instant). An address held by several resources at that time (a private address in
two VPCs, or a handover inside the window) fills each output field with one value per holder, in the
same order, separated by ", ". Only the Python standard library is used.
"""
import csv
import json
import os
import sys
import urllib.error
import urllib.request

OUTPUTS = {
    'whohad_certainty': lambda h: h['certainty'],
    'whohad_account': lambda h: h['holder']['accountId'],
    'whohad_region': lambda h: h['holder']['region'],
    'whohad_eni': lambda h: h['holder']['eniId'],
    'whohad_instance': lambda h: h['holder'].get('instanceId', ''),
    'whohad_kind': lambda h: h['holder']['kind'],
    'whohad_resource': lambda h: (h['holder'].get('resource') or {}).get('id', ''),
    'whohad_vpc': lambda h: h['holder'].get('vpcId', ''),
}


def lookup_of(ip, when, window):
    """The NDJSON line for one row: Splunk's _time is epoch seconds (with a fraction); ISO-8601 passes as it is."""
    try:
        at = round(float(when) * 1000)  # epoch milliseconds: whohad takes numbers this large as ms
    except ValueError:
        at = when
    item = {'ip': ip, 'at': at}
    if window:
        item['window'] = window
    return json.dumps(item) + '\n'


def fill(row, answer):
    if 'error' in answer:
        row['whohad_error'] = answer['error']['detail']
        return
    holdings = answer['holdings']
    for field, value in OUTPUTS.items():
        row[field] = ', '.join(value(h) for h in holdings)
    row['whohad_coverage'] = answer['coverage']['state']


def main():
    if len(sys.argv) != 3:
        sys.exit('usage: whohad_lookup.py <ip field> <time field>')
    ip_field, time_field = sys.argv[1], sys.argv[2]
    url = os.environ.get('WHOHAD_URL', 'http://127.0.0.1:8080').rstrip('/') + '/v1/lookups'
    key = os.environ.get('WHOHAD_API_KEY')
    window = os.environ.get('WHOHAD_WINDOW')

    reader = csv.DictReader(sys.stdin)
    header = reader.fieldnames or []
    rows = list(reader)
    asked = [row for row in rows if row.get(ip_field) and row.get(time_field)]

    if asked:
        body = ''.join(lookup_of(row[ip_field], row[time_field], window) for row in asked).encode()
        headers = {'Content-Type': 'application/x-ndjson'}
        if key:
            headers['Authorization'] = 'Bearer ' + key
        request = urllib.request.Request(url, data=body, headers=headers, method='POST')
        try:
            with urllib.request.urlopen(request) as response:
                # One answer line per lookup line, in order: the answers pair with the rows asked.
                for row, line in zip(asked, response):
                    fill(row, json.loads(line))
        except urllib.error.HTTPError as err:
            # A refused request (a wrong key, a bad window) is a problem document that says why.
            detail = err.read().decode(errors='replace')
            sys.exit('whohad answered %d: %s' % (err.code, detail))
        except urllib.error.URLError as err:
            sys.exit('whohad at %s could not be reached: %s' % (url, err.reason))

    writer = csv.DictWriter(sys.stdout, fieldnames=header, extrasaction='ignore', lineterminator='\n')
    writer.writeheader()
    writer.writerows(rows)


if __name__ == '__main__':
    main()
