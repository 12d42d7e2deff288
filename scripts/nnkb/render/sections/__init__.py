"""Sections of pages, each one topic: the recommendation's reasoning, precision variants,
measured rows, operator profiles, throughput, published figures, the outlook on other
hardware, output agreement, slow runtimes, and the methodology's notes from the rows."""
