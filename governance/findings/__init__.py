"""Findings and corrective actions: the improvement loop (ISO/IEC 42001 10.2 nonconformity and
corrective action; NIST AI RMF MANAGE 4). A finding comes from an incident, a review, a
management review, a lead or feedback; it has an owner, a root cause, actions each with an
owner and a due date, and a verification of effectiveness before it closes.

models     what a finding and an action are made of, and the lifecycle's states
lifecycle  the only transitions there are
service    raise, plan actions, complete them, verify, close, reopen
nudges     the scheduler's sweep: before and after an action's due date, then the leads
messages   the notices people are sent
"""
