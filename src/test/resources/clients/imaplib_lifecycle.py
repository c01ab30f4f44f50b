#!/usr/bin/env python3
"""The seed's removal lifecycle driven by Python's imaplib (a client no one here wrote):
log in, append N messages, flag 101 of them \\Deleted, expunge, check what the client sees.
Usage: imaplib_lifecycle.py HOST PORT USER PASSWORD COUNT DELETE"""
import imaplib
import sys

host, port, user, password, count, delete = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6])
M = imaplib.IMAP4(host, port)
assert 'IMAP4REV1' in M.capabilities, M.capabilities
typ, _ = M.login(user, password)
assert typ == 'OK'
for i in range(count):
    msg = ("From: Lifecycle <lc@example.com>\r\nTo: %s@example.com\r\nSubject: lifecycle %d\r\n"
           "Message-ID: <lc%d@example.com>\r\n\r\nbody %d\r\n" % (user, i, i, i)).encode()
    typ, data = M.append('INBOX', None, None, msg)
    assert typ == 'OK', data
typ, data = M.select('INBOX')
assert typ == 'OK' and int(data[0]) == count, data
typ, data = M.store('1:%d' % delete, '+FLAGS.SILENT', '(\\Deleted)')
assert typ == 'OK', data
typ, data = M.search(None, 'DELETED')
assert len(data[0].split()) == delete, data
typ, data = M.expunge()
assert typ == 'OK' and len([d for d in data if d]) == delete, data
typ, data = M.select('INBOX')
assert int(data[0]) == count - delete, data
typ, data = M.fetch('1', '(BODY.PEEK[HEADER.FIELDS (SUBJECT)])')
assert b'lifecycle %d' % delete in data[0][1], data
typ, data = M.uid('SEARCH', None, 'ALL')
assert len(data[0].split()) == count - delete
M.close()
M.logout()
print("lifecycle ok: appended %d, expunged %d" % (count, delete))
