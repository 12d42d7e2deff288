"""Render stage: pages, tables (pandas) and charts (plotly) from the KB and results files."""
