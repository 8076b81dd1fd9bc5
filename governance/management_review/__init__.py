"""The management review (ISO/IEC 42001 clause 9.3; NIST AI RMF GOVERN 1.5): after each period
the bot prepares the review's inputs as the standard lists them, posts them to the governance
channel as a thread, and governance leads record decisions and actions there (or with
`aims management-review`); actions become corrective actions followed up like any other.

models   what the inputs and the minutes are made of
periods  which period a review covers, its ref (MR-2026-Q4), and periods as people write them
inputs   the inputs, read from the register, the ledger and the findings (pure reads)
opportunities  the opportunities for improvement the inputs show
queries  finding a review and its thread; the review as shown and exported
service  prepare a review, record decisions and actions, hold it (the minutes)
thread   what a lead types in the review's thread, and which thread is a review's
messages the notices posted in the thread, and the inputs as lines (Slack and the exports)
export   the inputs and minutes as Markdown and HTML
"""
