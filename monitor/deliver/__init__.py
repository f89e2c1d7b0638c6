"""DELIVER: safe headers, MIME messages, transports and the sender that drains the queue."""
