"""Supervision, certification and publication (issue 12): the regulation's organisational
duties (七)2, (八), (一)5/6, (三)3/5, (四)2 as tables, queries and activities."""
