"""Phrase banks and text composition for the demo blogs.

All text here was written for blogscope (nothing copied). Each planted topic has its own
vocabulary so topic models can recover it; neutral connective sentences use none of those
words, so they end up as shared background. Slots (``{drug}``) multiply the number of distinct
sentences, which keeps two posts on one topic well apart for the near-duplicate detector.

A few sentences carry apostrophes, double quotes and ``&`` on purpose: every renderer must
escape them correctly.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

TOPICS: tuple[str, ...] = ("medication", "sleep", "therapy", "insurance", "commitment")


@dataclass(frozen=True)
class TopicBank:
    """Everything the generator needs to write about one planted topic."""

    sentences: tuple[str, ...]
    slots: dict[str, tuple[str, ...]]
    titles: tuple[str, ...]
    category: str  # WordPress category / Blogger label
    tags: tuple[str, ...]
    comment_nouns: tuple[str, ...]
    comment_experiences: tuple[str, ...]
    comment_questions: tuple[str, ...]
    author_answers: tuple[str, ...]


BANKS: dict[str, TopicBank] = {
    "medication": TopicBank(
        sentences=(
            "When we start {ssri} I usually begin at {dose} and raise the dosage slowly.",
            "The most common complaint in the first weeks on {drug} is {side_effect}, which often fades.",
            "A slow taper off {ssri} over {weeks} weeks tends to cause fewer discontinuation symptoms.",
            "Patients often ask whether the generic version of {drug} works as well as the brand name pill.",
            "Checking lithium levels every few months is tedious, but the blood work keeps people safe.",
            "When a complaint like {side_effect} lasts past the first month, we talk about lowering the dose or switching.",
            "Stopping an antidepressant abruptly can bring dizziness, irritability and flu-like discontinuation symptoms.",
            "The pharmacy once filled {drug} at ten times the prescribed dosage, and a sharp patient caught it.",
            "Serotonin medications need {weeks} weeks before anyone can judge whether they're working.",
            "I keep a printed taper schedule on my desk so each dose reduction is written down.",
            "Augmentation with a second medication makes sense only after an adequate trial of the first.",
            "The half-life of {drug} matters a great deal when we plan a switch or a taper.",
            "Refill gaps are one of the quiet reasons an antidepressant seems to stop working.",
            "We review every prescription for interactions, including supplements like St. John's wort.",
            "Titrating {drug} too fast is the classic way to turn mild {side_effect} into a reason to quit.",
            "Many people feel \"flat\" on a high dose of {ssri}, and that emotional blunting deserves attention.",
            "Pill organizers and phone reminders do more for adherence than any lecture about medication.",
            "A dose of {dose} of {drug} looks tiny on paper, yet some patients notice it within days.",
            "Pharmacogenetic tests promise to predict the right antidepressant, but the evidence is thin.",
            "I ask about {side_effect} directly, because few patients raise the subject on their own.",
            "Liquid formulations make a very gradual taper possible when tablets cannot be split evenly.",
            "Mixing alcohol with a sedating medication is the warning I repeat most often.",
            "The risks & benefits of long-term {drug} look different at sixty than at twenty-five.",
            "Weight gain on mood stabilizers is the side effect that ends the most medication trials.",
            "Our group keeps a shared list of which pharmacies stock {drug} during shortages.",
            "When a medication trial fails, the dosage and duration usually tell the real story.",
            "Cross-tapering from {ssri} to {drug} takes patience and a clear calendar.",
            "Prescribers sometimes forget that nausea from a new pill is a real reason people stop.",
            "Lab monitoring for lamotrigine rash and lithium toxicity belongs in every medication plan.",
            "A slow taper is not a failure; it's how the body adjusts to less serotonin.",
            "The dosage printed on the pharmacy label should match the prescription word for word.",
            "Missed doses of {ssri} can produce brief discontinuation symptoms within a day or two.",
        ),
        slots={
            "drug": ("sertraline", "fluoxetine", "escitalopram", "venlafaxine", "bupropion",
                     "lithium", "lamotrigine", "quetiapine", "mirtazapine", "paroxetine"),
            "ssri": ("sertraline", "fluoxetine", "escitalopram", "paroxetine", "citalopram"),
            "dose": ("25 mg", "50 mg", "10 mg", "half a tablet", "5 mg", "12.5 mg"),
            "side_effect": ("nausea", "weight gain", "sexual side effects", "dizziness",
                            "emotional blunting", "headaches", "dry mouth", "jitteriness", "sweating"),
            "weeks": ("four", "six", "eight", "twelve"),
        },
        titles=(
            "What Nobody Tells You About Tapering {Ssri}",
            "{Drug} and the First Six Weeks",
            "Side Effects We Don't Talk About Enough",
            "The Slow Taper: A Case for Patience",
            "Generic vs. Brand: Does the Pill Matter?",
            "When the Dose Is Right but the Medication Is Wrong",
            "Notes on Lithium Levels and Blood Work",
            "Pharmacy Errors & How Patients Catch Them",
            "Why I Write Out Every Taper Schedule",
            "Antidepressant Discontinuation, Once More",
            "Augmentation Without the Hype",
            "The \"Flat\" Feeling on {Ssri}",
            "{Drug}: Questions From the Medication Clinic",
            "Refills, Shortages and Missed Doses",
        ),
        category="Medication",
        tags=("SSRIs", "side effects", "tapering", "dosage", "pharmacy", "lithium"),
        comment_nouns=("the taper", "the side effects", "the dosage", "the withdrawal symptoms",
                       "my prescription", "the refill", "sertraline"),
        comment_experiences=(
            "My own taper off sertraline took four months.",
            "The nausea in the first week was the hardest part for me.",
            "My pharmacist was the one who caught the interaction.",
            "I split tablets with a pill cutter for the last few doses.",
            "My doctor raised the dose every two weeks.",
            "I switched from paroxetine to fluoxetine last spring.",
            "The generic looked different but worked the same for me.",
        ),
        comment_questions=(
            "Is it safe to split the tablets for a slower taper?",
            "How long does the nausea usually last?",
            "Does the generic really contain the same dose?",
            "Should lithium levels be checked after every dose change?",
            "What do you do when the pharmacy is out of stock?",
            "Can the side effects start months later?",
        ),
        author_answers=(
            "A slower taper is usually the safer choice, and your prescriber can write one out.",
            "Most early side effects fade within two to four weeks.",
            "Generics must deliver the same active dose, though the fillers differ.",
            "We recheck levels about five days after any change in dose.",
        ),
    ),
    "sleep": TopicBank(
        sentences=(
            "Chronic insomnia rarely responds to melatonin alone, whatever the label promises.",
            "Keeping the same wake time every morning, weekends included, resets the circadian rhythm.",
            "A sleep diary kept for two weeks tells us more than any single night in a sleep lab.",
            "People who sleep only {hours} hours often underestimate how drowsy they are behind the wheel.",
            "Late afternoon caffeine stays in the bloodstream long after bedtime.",
            "Night shift workers fight their circadian clock every single week.",
            "We screen for sleep apnea whenever someone mentions loud snoring and morning headaches.",
            "Lying awake in bed for hours teaches the brain that the bedroom is a place to worry.",
            "Getting up after twenty minutes awake and reading in dim light is dull, but it works.",
            "Screens before bed delay melatonin release, so the phone should leave the bedroom.",
            "Napping after 3 pm steals sleep pressure from the night that follows.",
            "Teenagers have a later circadian phase, and early school start times fight it.",
            "Restricting time in bed sounds cruel, yet sleep restriction is one of the best insomnia tools.",
            "A bedroom that is cool, dark and quiet does more than any expensive pillow.",
            "Sleeping pills can help for a few nights, but tolerance builds quickly.",
            "Nightmares after trauma respond to imagery rehearsal more often than people expect.",
            "The body clock shifts about an hour a day after jet lag, sometimes less.",
            "Melatonin at {mel_dose} taken a few hours before bedtime shifts the body clock more than a big dose at lights out.",
            "Waking at {clock} and never falling back asleep is a pattern worth mentioning at a checkup.",
            "Alcohol helps people fall asleep and then fragments the second half of the night.",
            "Morning sunlight within an hour of waking anchors the whole sleep-wake cycle.",
            "Restless legs in the evening can delay sleep onset by hours.",
            "Counting sheep never worked for anyone I know; a boring audiobook sometimes does.",
            "Insomnia and low mood feed each other, so treating the sleep often lifts the mood.",
            "A consistent bedtime routine with {routine} tells the brain that the day is over.",
            "REM sleep rebounds after a few short nights, bringing vivid dreams.",
            "Parents of newborns know sleep deprivation better than any researcher.",
            "The snooze button chops the last hour of sleep into useless pieces.",
            "Daytime drowsiness after a full night in bed deserves a sleep study.",
            "Shift workers can protect their daytime sleep with blackout curtains and earplugs.",
            "Going to bed at {clock} one night and three hours later the next confuses the circadian system.",
            "A weekend lie-in feels good, yet it leaves a kind of social jet lag on Monday morning.",
        ),
        slots={
            "hours": ("five", "six", "four", "five and a half"),
            "mel_dose": ("0.5 mg", "1 mg", "3 mg"),
            "clock": ("10:30 pm", "11 pm", "midnight", "4 am", "5:30 am"),
            "routine": ("a warm shower", "a paper book", "dim lamps", "the same playlist", "a short stretch"),
        },
        titles=(
            "Insomnia Is Not a Melatonin Deficiency",
            "The Case for a Fixed Wake Time",
            "Sleep Diaries Tell the Truth",
            "Shift Work and the Circadian Clock",
            "Why the Phone Should Sleep in the Kitchen",
            "Naps, Caffeine & Other Sleep Thieves",
            "Teenagers, School Start Times and Sleep",
            "Sleep Restriction Sounds Cruel. It Works.",
            "Snoring, Apnea and the Morning Headache",
            "What Jet Lag Teaches Us About Bedtime",
            "Waking at {Clock}: Notes From the Sleep Clinic",
            "Nightmares, Dreams and REM Rebound",
            "Social Jet Lag and the Weekend Lie-In",
            "The Bedroom Is for Sleep",
        ),
        category="Sleep",
        tags=("insomnia", "melatonin", "circadian rhythm", "sleep hygiene", "shift work", "sleep apnea"),
        comment_nouns=("the insomnia", "melatonin", "my sleep diary", "the wake time", "bedtime",
                       "the night shifts"),
        comment_experiences=(
            "I kept a sleep diary for three weeks last winter.",
            "My wake time is 6 am now, even on Saturdays.",
            "I work night shifts at a hospital twice a week.",
            "The phone has been charging in the kitchen since January.",
            "I tried melatonin at bedtime for a month.",
            "My partner snores and I wake up around 3 am.",
        ),
        comment_questions=(
            "How long before a fixed wake time starts to help?",
            "Is it fine to nap on weekends?",
            "What dose of melatonin do you suggest for jet lag?",
            "Does reading on an e-reader count as screen time?",
            "Should I see someone about the snoring?",
            "How early is too early to go to bed?",
        ),
        author_answers=(
            "Most people notice a difference after about two weeks of a steady wake time.",
            "A short nap before 2 pm is usually fine.",
            "A sleep study is worth asking about if the snoring is loud.",
            "Dim, warm light in the last hour before bed makes the biggest difference.",
        ),
    ),
    "therapy": TopicBank(
        sentences=(
            "In CBT the homework between sessions matters as much as the hour in the office.",
            "A thought record asks the client to write down the situation, the thought and the feeling.",
            "The therapeutic alliance predicts outcome better than the specific method a therapist uses.",
            "Most structured courses of {method} run for {sessions} weekly sessions.",
            "Clients who skip homework often feel ashamed, so we talk about the barriers first.",
            "Exposure therapy means facing the feared situation in small, planned steps.",
            "Behavioral activation starts with scheduling one small pleasant activity each day.",
            "A good therapist asks for feedback at the end of every session.",
            "Role-play in session lets a client rehearse a hard conversation before it happens.",
            "Journaling between sessions helps clients notice patterns they would otherwise miss.",
            "Setting concrete goals in the first session keeps therapy from drifting.",
            "DBT skills groups teach distress tolerance and emotion regulation like a class.",
            "Video sessions work surprisingly well for {method}, less well for some couples work.",
            "Ending therapy deserves a planned final session, not a quiet fade-out.",
            "The worksheet is only a tool; the conversation about it is where change happens.",
            "Some clients want advice, while the therapist wants to build their own problem solving.",
            "Cognitive distortions like mind reading and catastrophizing show up in almost every thought record.",
            "Rapport can take three or four sessions to build, and that's normal.",
            "Mindfulness practice in therapy is about noticing thoughts, not emptying the mind.",
            "A therapist who never challenges you may be comfortable, but not helpful.",
            "Group therapy lets members hear their own story in someone else's words.",
            "Measuring symptoms with a short questionnaire every few sessions keeps therapy honest.",
            "Psychodynamic therapy and CBT differ less in practice than in textbooks.",
            "Between sessions, clients practice skills in the situations that actually trouble them.",
            "Clinical supervision helps a therapist see what they miss in the room.",
            "The first homework assignment should be small enough to guarantee success.",
            "Therapists call it \"resistance\" when the real problem is a plan that doesn't fit.",
            "Weekly sessions build momentum that monthly check-ins rarely match.",
            "Family sessions can reshape the conversations that happen at the kitchen table.",
            "Finding a therapist who fits may take a few tries, and switching is allowed.",
            "{Method} asks the client to test a belief the way a scientist tests a hypothesis.",
            "The homework log from last week usually opens the next session.",
        ),
        slots={
            "method": ("CBT", "exposure work", "behavioral activation", "DBT skills training",
                       "problem-solving therapy", "interpersonal therapy"),
            "sessions": ("twelve", "sixteen", "twenty", "eight"),
        },
        titles=(
            "Why CBT Homework Matters",
            "The Thought Record, Line by Line",
            "The Alliance Comes First",
            "Small Steps: How Exposure Therapy Works",
            "What Happens in the First Session",
            "Ending Therapy Well",
            "Feedback in Every Session",
            "When Homework Doesn't Get Done",
            "Group Therapy & the Relief of Company",
            "Choosing a Therapist Who Fits",
            "{Method} in Twelve Sessions",
            "Role-Play, Rehearsal and Hard Conversations",
            "Mindfulness Is Not an Empty Mind",
            "\"Resistance\" Is Usually a Bad Plan",
        ),
        category="Therapy",
        tags=("CBT", "psychotherapy", "homework", "therapist", "exposure", "DBT"),
        comment_nouns=("the homework", "CBT", "my therapist", "the sessions", "the thought records",
                       "exposure therapy"),
        comment_experiences=(
            "My therapist gave me thought records in the second session.",
            "I finished sixteen sessions of CBT last year.",
            "Our group meets on Tuesday evenings.",
            "The homework took me about twenty minutes a day.",
            "I switched therapists after three sessions.",
            "Exposure therapy started with a list of ten situations.",
        ),
        comment_questions=(
            "How do I tell my therapist the homework isn't working?",
            "Is it normal to feel worse after the first few sessions?",
            "Do video sessions count the same as in person?",
            "How many sessions does CBT usually take?",
            "What should I bring to a first session?",
            "Can a thought record be done on a phone?",
        ),
        author_answers=(
            "Tell them directly; a good therapist will adjust the plan.",
            "Feeling stirred up early on is common and worth raising in session.",
            "Video sessions work well for most structured therapy.",
            "Twelve to twenty sessions is typical for a course of CBT.",
        ),
    ),
    "insurance": TopicBank(
        sentences=(
            "Prior authorization forms ask for the same diagnosis codes we already sent on the claim.",
            "A denied claim usually means a missing modifier, not a judgment about care.",
            "The copay for a therapy visit can exceed the copay for a specialist, which makes no sense.",
            "We spent forty minutes on hold with {payer} to confirm one billing code.",
            "Out-of-network patients get a superbill and file the claim themselves.",
            "Appeals succeed more often than people think, but they take {days} days or more.",
            "Our billing office tracks every denial by reason so we can fix patterns.",
            "The deductible resets in January, and appointment cancellations spike right after.",
            "Network adequacy rules exist on paper, yet finding an in-network psychiatrist is hard.",
            "Reimbursement rates for psychiatric visits have barely moved in a decade.",
            "Utilization review calls interrupt clinic days and rarely change the plan.",
            "Each payer has its own portal, password rules and fax number.",
            "A superbill lists the CPT codes, diagnosis codes and the amount paid.",
            "Patients deserve a clear estimate of their out-of-pocket cost before the first visit.",
            "The claim was rejected because the date of birth had a typo.",
            "Parity laws require mental health coverage on par with medical coverage, at least in theory.",
            "Some practices stopped taking insurance because the paperwork cost more than the payment.",
            "An explanation of benefits is not a bill, though it looks like one.",
            "We resubmitted the claim three times before {payer} admitted the error.",
            "High-deductible plans mean many patients pay full price until late in the year.",
            "Billing for collaborative care requires careful time tracking every month.",
            "{Payer} changed its coverage rules mid-year, and every renewal needed new paperwork.",
            "Coinsurance of twenty percent sounds small until the invoice arrives.",
            "A peer-to-peer review means arguing with a reviewer who never met the patient.",
            "Audits look for documentation that supports the billed level of service.",
            "Surprise bills from out-of-network providers are less common under the newer federal rules.",
            "Our front desk verifies benefits before every new patient's first appointment.",
            "The copay, the deductible & the coinsurance confuse almost everyone.",
            "Claims submitted after the filing deadline are simply not paid.",
            "Telehealth billing codes changed again, and the claims software lagged behind.",
            "A prior authorization approved for {days} days means the paperwork starts again soon.",
            "The premium went up while the network of covered clinicians shrank.",
        ),
        slots={
            "payer": ("the insurer", "the payer", "a large commercial plan", "the state Medicaid plan",
                      "an employer plan"),
            "days": ("thirty", "sixty", "ninety", "fourteen"),
        },
        titles=(
            "Prior Authorization, Explained Badly by Design",
            "Anatomy of a Denied Claim",
            "The Superbill Survival Guide",
            "Copays That Make No Sense",
            "Why We Appeal Every Denial",
            "In-Network on Paper Only",
            "Forty Minutes on Hold With {Payer}",
            "Deductibles, Coinsurance & Other Puzzles",
            "Parity Laws and the Billing Office",
            "Reading an Explanation of Benefits",
            "Peer-to-Peer Reviews From the Inside",
            "Why Some Practices Stopped Taking Insurance",
            "Telehealth Billing Codes, Again",
            "The Claim Came Back Denied",
        ),
        category="Insurance & Billing",
        tags=("prior authorization", "billing", "copay", "claims", "appeals", "deductible"),
        comment_nouns=("the prior authorization", "the claim", "my copay", "the billing office",
                       "the deductible", "the appeal"),
        comment_experiences=(
            "My claim was denied twice before the appeal went through.",
            "The prior authorization took eleven days last month.",
            "I submit a superbill every month for reimbursement.",
            "My copay went from twenty to forty dollars in January.",
            "Our billing office spends Mondays on denials.",
            "I called the insurer four times about one code.",
        ),
        comment_questions=(
            "How do I file a claim with a superbill?",
            "Who should start the appeal, the patient or the office?",
            "Does a prior authorization carry over to a new plan?",
            "Why is the therapy copay higher than the specialist copay?",
            "How long do insurers take to answer an appeal?",
            "Is the explanation of benefits something I need to pay?",
        ),
        author_answers=(
            "Your plan's website usually has a claim form; attach the superbill to it.",
            "Either can start an appeal, but the office has the records.",
            "A new plan almost always requires a new prior authorization.",
            "An explanation of benefits is not a bill; wait for the invoice.",
        ),
    ),
    "commitment": TopicBank(
        sentences=(
            "An involuntary hold lets a hospital keep someone for evaluation, usually for {hold} at most.",
            "At the commitment hearing, {role} decides whether the legal standard is met.",
            "Patients have the right to an attorney at every civil commitment hearing.",
            "Dangerousness to self or others is the core legal test in most states.",
            "A petition for commitment must describe specific behavior, not just a diagnosis.",
            "Testifying in court is one of the strangest parts of a psychiatrist's job.",
            "Patient rights advocates visit the unit and explain the appeal process.",
            "Assisted outpatient treatment orders are controversial, and the evidence is mixed.",
            "Capacity to refuse treatment is a separate question from the need for hospitalization.",
            "Emergency detention by police often starts the process, before any clinician is involved.",
            "Due process protections exist because confinement is a serious loss of liberty.",
            "The statute spells out timelines, and missing one means the patient must be released.",
            "Families sometimes ask us to \"just commit\" a relative, not knowing the legal bar.",
            "Guardianship and conservatorship proceedings follow different rules from commitment.",
            "A public defender represented the patient, and the hearing lasted twenty minutes.",
            "Court dates on the unit disrupt the schedule, yet they protect patient rights.",
            "Treatment over objection requires its own hearing in many jurisdictions.",
            "The legal standard for grave disability varies widely from state to state.",
            "Writing an affidavit for a petition takes care, because {role} reads every word.",
            "Patients can file a writ of habeas corpus to challenge their detention.",
            "Involuntary treatment can save a life and still feel like a betrayal to the patient.",
            "Crisis teams try to avoid an emergency hold when a voluntary option exists.",
            "The hearing room on our unit has a table, four chairs and a flag.",
            "Advocates argue that involuntary holds fall hardest on poor and unhoused patients.",
            "Recommitment hearings review whether continued confinement is still justified.",
            "A psychiatric advance directive lets patients state treatment wishes before a crisis.",
            "Lawyers, clinicians & judges each see commitment through a different lens.",
            "Release from a hold requires documenting that the danger has passed.",
            "Many patients do not know they can appeal a commitment order.",
            "{Role} asked whether a less restrictive alternative had been tried.",
            "A {hold} hold can turn into a court order if the petition is granted.",
            "The patient's attorney cross-examined me about the dangerousness evidence for an hour.",
        ),
        slots={
            "hold": ("72 hours", "48 hours", "five days", "ten days"),
            "role": ("the judge", "the magistrate", "the hearing officer", "the court"),
        },
        titles=(
            "What Happens at a Commitment Hearing",
            "The {Hold} Hold, Step by Step",
            "Dangerousness Is a Legal Word",
            "Patient Rights on a Locked Unit",
            "Testifying in Court as a Psychiatrist",
            "Capacity Is Not the Same as Commitment",
            "When Families Ask Us to \"Just Commit\" Someone",
            "Due Process & the Loss of Liberty",
            "Assisted Outpatient Treatment: The Debate",
            "Writing a Petition the Judge Will Read",
            "Habeas Corpus on the Psychiatric Unit",
            "Less Restrictive Alternatives First",
            "Advance Directives Before the Crisis",
            "Grave Disability Across State Lines",
        ),
        category="Commitment Law",
        tags=("involuntary hold", "civil commitment", "patient rights", "court", "due process", "advocacy"),
        comment_nouns=("the hearing", "the involuntary hold", "patient rights", "the court",
                       "the petition", "the judge"),
        comment_experiences=(
            "My brother was on a 72-hour hold two summers ago.",
            "I sat in on a commitment hearing as a student.",
            "The patient advocate came on the second day.",
            "Our county holds hearings on Thursday mornings.",
            "I signed a petition for my father last year.",
            "The public defender met my sister ten minutes before the hearing.",
        ),
        comment_questions=(
            "Can a family member attend the commitment hearing?",
            "Who pays for the attorney at the hearing?",
            "How long can a hold last without a court order?",
            "What counts as a less restrictive alternative?",
            "Can a patient refuse treatment while on a hold?",
            "Where do I file an appeal of a commitment order?",
        ),
        author_answers=(
            "Family members can usually attend if the patient agrees.",
            "The state appoints and pays for counsel when the patient cannot.",
            "That depends on the state statute; most limit it to a few days.",
            "Capacity to refuse is decided separately, often at its own hearing.",
        ),
    ),
}

# Sentences that carry no topic vocabulary: the shared background of every post.
NEUTRAL_SENTENCES: tuple[str, ...] = (
    "I have been thinking about this for a while.",
    "Details below are changed to protect privacy.",
    "Here is what I have learned over the years.",
    "Let me explain why this matters.",
    "More on that in a later post.",
    "Your experience may be different, of course.",
    "Every situation is a little different.",
    "That was true ten years ago and it is still true today.",
    "I said as much to a colleague over lunch last week.",
    "None of this is advice for any individual reader.",
    "It is worth saying plainly.",
    "We argue about this in our group all the time.",
    "The short version is simple.",
    "The long version takes a bit more explaining.",
    "I don't think there is one right answer.",
    "Some readers will disagree, and that's fine.",
    "This came up twice in the past month.",
    "Questions are welcome in the comments.",
    "A reader asked about this after my last post.",
    "It took me years to see it this way.",
    "Here's the part that surprised me.",
    "Think of it as a rule of thumb, not a law.",
    "I wish someone had told me this earlier.",
    "That is the theory, at least.",
    "In practice things are messier.",
    "So where does that leave us?",
    "Let's start with the basics.",
    "The rest of this post explains how we got here.",
    "Honestly, the answer is \"it depends.\"",
    "Nothing here is new, but it bears repeating.",
    "I keep coming back to one example.",
    "Colleagues in other cities tell me the same story.",
    "Please share your own experience below.",
    "That sounds obvious, but it is easy to forget.",
    "We will see how this looks in a year.",
    "Consider this a note to my younger self.",
    "My co-bloggers may chime in with a different view.",
    "There is a second point hiding in here.",
)

POSITIVE_FRAMES: tuple[str, ...] = (
    "This is so helpful, thank you!",
    "Great post.",
    "I love how clearly you explained {noun}.",
    "Wonderful advice, and kind too.",
    "Thank you for writing this, it made my week.",
    "Excellent point about {noun}.",
    "Brilliant, I'm sharing this with my support group.",
    "So glad I found this blog.",
    "This gave me real hope.",
    "What a thoughtful, encouraging post.",
    "Thanks, this is exactly what I needed to read today.",
)
NEGATIVE_FRAMES: tuple[str, ...] = (
    "I strongly disagree with this.",
    "This is terrible advice about {noun}.",
    "Frankly this post made me angry.",
    "My experience with {noun} was awful and nobody listened.",
    "This is condescending and wrong.",
    "What a useless post.",
    "I'm sick of professionals dismissing {noun} like this.",
    "Horrible take. You clearly never struggled with {noun} yourself.",
    "Sorry, but this is a bad and harmful oversimplification.",
    "I hate how often this gets repeated as if it were true.",
)
NEUTRAL_FRAMES: tuple[str, ...] = (
    "I have a question about {noun}.",
    "Quick question for the authors.",
    "Our clinic handles {noun} a bit differently.",
    "I read this twice.",
    "Two questions, if you have time.",
    "Adding a data point here.",
)
OFF_TOPIC_COMMENTS: tuple[str, ...] = (
    "Off topic, but is there a way to subscribe by email?",
    "Could you write about burnout among residents sometime?",
    "Is the archive organized by month somewhere?",
    "Which books would you suggest for a first-year student?",
    "Will there be a post about telehealth across state lines?",
    "Does this blog have a newsletter?",
)

# Author replies open with one of these; {name} is the commenter being answered.
AUTHOR_REPLY_OPENERS: tuple[str, ...] = (
    "Thanks for reading, {name}.",
    "Good question, {name}.",
    "Thank you, {name}.",
    "Fair point, {name}.",
)

# Hidden comments use their own banks, so no public text can contain theirs.
SPAM_COMMENTS: tuple[str, ...] = (
    "Great article!! Check my site for cheap watches and replica handbags, free shipping.",
    "Best online casino bonus codes here, claim your free spins before midnight.",
    "I made five thousand dollars a week working from home, message me to learn how.",
    "Buy real followers cheap, fast delivery, satisfaction guaranteed.",
    "Nice blog. Please visit my page about crypto mining profits and passive income.",
    "Discount diet pills shipped overnight, no prescription needed, order today.",
)
SPAM_SUFFIXES: tuple[str, ...] = (
    "Limited offer, act now.", "Click the link in my profile.", "Reply STOP to unsubscribe.",
    "Visit today for a free gift.", "Best prices on the whole internet.",
)
SPAM_AUTHORS: tuple[str, ...] = (
    "cheap-watches-deals", "CasinoBonusKing", "WorkFromHome247", "crypto_profit_now",
    "FollowersFastShop", "DietPillsDirect",
)
HELD_COMMENTS: tuple[str, ...] = (
    "Please delete my earlier comment, I typed my full name and employer by mistake.",
    "I want to report a named doctor at our county clinic for malpractice, details to follow.",
    "Here is my personal phone number if anyone wants to talk tonight, call after nine.",
    "Everyone who writes here is paid by the drug companies and I can prove it with documents.",
    "Test comment from the moderation queue, please ignore this one.",
    "My cousin's full name and hospital room number are below, could someone visit?",
    "This is my third attempt to post this, the form keeps eating my long story about the ward.",
    "Reposting my rant from the other site because the moderators there deleted it.",
)
HELD_SUFFIXES: tuple[str, ...] = (
    "Sent from the waiting room of the old annex building.",
    "Written on the night bus home from the late shift.",
    "I may edit this later when I am calmer.",
    "Moderator, feel free to trim it.",
    "Not sure if this went through the first time.",
)

# A sentence only the WordPress/Blogger draft contains (never public).
DRAFT_NOTES: tuple[str, ...] = (
    "NOTE TO SELF: confirm the figures with the group before this goes live, and cut the second half.",
)

_WORD = re.compile(r"\S+")


def word_count(text: str) -> int:
    return len(_WORD.findall(text))


_KEEP_LOWER = {"a", "an", "the", "of", "and", "or", "with", "to", "in", "on", "for", "am", "pm", "mg"}


def _title_case(value: str) -> str:
    """Title-case a slot value (no slot value starts a title with a small word)."""
    return " ".join(w if w in _KEEP_LOWER or not w[:1].islower() else w[:1].upper() + w[1:]
                    for w in value.split(" "))


def fill(template: str, slots: dict[str, tuple[str, ...]], rng: random.Random,
         title: bool = False) -> str:
    """Fill ``{slot}`` (value as is) and ``{Slot}`` (capitalised; every word in titles)."""

    def repl(match: re.Match[str]) -> str:
        name = match.group(1)
        value = rng.choice(slots[name.lower()])
        if not name[:1].isupper():
            return value
        return _title_case(value) if title else value[:1].upper() + value[1:]

    return re.sub(r"\{([A-Za-z_]+)\}", repl, template)


def compose_post(topic: str, rng: random.Random, min_words: int = 150,
                 max_words: int = 500) -> list[str]:
    """3-7 paragraphs of topic sentences with neutral connectives; 150-500 words in total.

    Roughly two thirds of the sentences come from the topic bank (without repeating a template
    inside one post), the rest are neutral connectives.
    """
    bank = BANKS[topic]
    templates = list(bank.sentences)
    rng.shuffle(templates)
    neutrals = list(NEUTRAL_SENTENCES)
    rng.shuffle(neutrals)
    n_paragraphs = rng.randint(3, 7)
    target = rng.randint(min_words + 30, max_words - 60)
    paragraphs: list[list[str]] = [[] for _ in range(n_paragraphs)]

    def total() -> int:
        return sum(word_count(s) for p in paragraphs for s in p)

    i = 0
    while total() < target and (templates or neutrals):
        para = paragraphs[i % n_paragraphs]
        use_neutral = neutrals and (not templates or rng.random() < 0.3)
        sentence = neutrals.pop() if use_neutral else fill(templates.pop(), bank.slots, rng)
        para.append(sentence)
        i += 1
    # Every paragraph needs at least one topic sentence, so topics are visible throughout.
    for para in paragraphs:
        if not any(s not in NEUTRAL_SENTENCES for s in para) and templates:
            para.insert(0, fill(templates.pop(), bank.slots, rng))
    # Trim from the longest paragraph while over the cap (keeps 3+ paragraphs non-empty).
    while total() > max_words:
        longest = max(paragraphs, key=len)
        longest.pop()
    texts = [" ".join(p) for p in paragraphs if p]
    if word_count("\n\n".join(texts)) < min_words:  # banks are large; a guard, not a path
        raise RuntimeError(f"post for topic {topic!r} came out too short")
    return texts


def compose_title(topic: str, rng: random.Random, taken: set[str]) -> str:
    """A title unique within ``taken`` (adds ``Part N`` only when every variant is used)."""
    bank = BANKS[topic]
    options = list(bank.titles)
    rng.shuffle(options)
    for template in options:
        for _ in range(4):
            title = fill(template, bank.slots, rng, title=True)
            if title not in taken:
                return title
    base = fill(options[0], bank.slots, rng, title=True)
    n = 2
    while f"{base}, Part {n}" in taken:
        n += 1
    return f"{base}, Part {n}"


def compose_comment(topic: str, sentiment: str, on_topic: bool, rng: random.Random) -> str:
    """A reader comment: a sentiment frame plus topic detail (sometimes two paragraphs)."""
    bank = BANKS[topic]
    if not on_topic:
        return rng.choice(OFF_TOPIC_COMMENTS)
    noun = rng.choice(bank.comment_nouns)
    frames = {"positive": POSITIVE_FRAMES, "negative": NEGATIVE_FRAMES, "neutral": NEUTRAL_FRAMES}
    opener = rng.choice(frames[sentiment]).replace("{noun}", noun)
    parts = [opener]
    if sentiment == "neutral":
        parts.append(rng.choice(bank.comment_questions))
        if rng.random() < 0.3:
            parts.append(rng.choice(bank.comment_experiences))
    else:
        parts.append(rng.choice(bank.comment_experiences))
        if rng.random() < 0.25:
            parts.append(rng.choice(bank.comment_questions))
    if len(parts) >= 3 and rng.random() < 0.5:
        return " ".join(parts[:2]) + "\n\n" + " ".join(parts[2:])
    return " ".join(parts)


def compose_author_reply(topic: str, to_name: str, rng: random.Random) -> str:
    bank = BANKS[topic]
    opener = rng.choice(AUTHOR_REPLY_OPENERS).replace("{name}", to_name)
    return f"{opener} {rng.choice(bank.author_answers)}"


def compose_hidden(kind: str, rng: random.Random) -> tuple[str, str | None]:
    """Text (and, for spam, the spammer's name) of a comment the public must never see."""
    if kind == "spam":
        return f"{rng.choice(SPAM_COMMENTS)} {rng.choice(SPAM_SUFFIXES)}", rng.choice(SPAM_AUTHORS)
    return f"{rng.choice(HELD_COMMENTS)} {rng.choice(HELD_SUFFIXES)}", None


def slugify(text: str) -> str:
    """WordPress-style slug: lower case ASCII words joined by hyphens."""
    text = text.lower().replace("&", " ").replace("'", "")
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def excerpt(text: str, words: int = 55) -> str:
    """WordPress's automatic excerpt: the first 55 words (the caller appends the ellipsis)."""
    tokens = text.split()
    return " ".join(tokens[:words])
