#!/usr/bin/env python3
"""Delivers with Python's smtplib.LMTP (a client no one here wrote): one message to several recipients,
one of them unknown, one with +detail; prints each recipient's outcome.
Usage: lmtp_deliver.py HOST PORT RCPT..."""
import smtplib
import sys

host, port, rcpts = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
msg = (b"From: Sender <sender@example.com>\r\nTo: alice@example.com\r\nSubject: via LMTP\r\n"
       b"Message-ID: <lmtp1@example.com>\r\n\r\nDelivered by smtplib.LMTP.\r\n.leading dot line\r\n")
L = smtplib.LMTP(host, port)
L.ehlo_or_helo_if_needed()
refused = {}
try:
    refused = L.sendmail("sender@example.com", rcpts, msg)
except smtplib.SMTPRecipientsRefused as e:
    refused = e.recipients
for r in rcpts:
    print("%s %s" % (r, "refused %s" % refused[r][0] if r in refused else "delivered"))
L.quit()
