"""The CLV engine: order history → per-customer summary → fitted models → residual CLV, tiers, segments.

Domain code only (numpy, scipy, pandas); fitted parameters travel as JSON.
"""
