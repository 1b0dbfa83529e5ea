"""Evaluations run by ``newsdesk eval ...`` over whole sets; tests pin small subsets."""
