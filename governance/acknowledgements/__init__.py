"""Policy acknowledgement campaigns: a governance lead asks an audience to read one version of
one policy and confirm they will follow it; reminders and escalations chase those who have not;
every step is evidence (ISO/IEC 42001 clause 7.3 awareness, A.2.2; EU AI Act Art. 4).

models     what a campaign is started with, and the figures it reports
campaigns  start a campaign (and start it again for a document's new version)
responses  acknowledge, ask a question, leave the audience, delivery of the request
reminders  the scheduler's sweep: reminders, then escalation, outside quiet hours
figures    completion per campaign and per person (status, digest, App Home, export)
messages   the notices people are sent
"""
