"""Callwatch's application: the pipeline stages after fetching, and the wiring that runs them.

The root holds only wiring (app, settings, clock, tokens, links, leader, worker, processes);
each stage is a package: model, normalise, poll, match, catalogue, render, plan, deliver,
people, web, cli. README's "How it is built" walks one call through them.
"""
