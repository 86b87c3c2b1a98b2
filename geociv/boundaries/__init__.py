"""Boundary lines, markers, joint inspections, topology and reports (行政区域界线与联检)."""
