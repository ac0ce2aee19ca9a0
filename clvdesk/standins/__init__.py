"""Stand-in helpdesks on 127.0.0.1 for the demo, tests and benchmarks: real HTTP servers keeping each
vendor's documented contract. Not part of the runtime: nothing under clvdesk/ except the demo imports them."""
