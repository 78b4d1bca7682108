/**
 * A fixed corpus for ranking tests: 30 short memories on unrelated subjects, and queries whose
 * right answer is one passage beyond doubt. `keyword` queries share telling words with their
 * answer; `meaning` queries are paraphrases that share (almost) none, so only vectors find them.
 * Written by hand for these tests, not tuned to any model.
 */

/** One memory of the corpus. */
export interface Passage {
  readonly key: string;
  readonly text: string;
  readonly tags?: readonly string[];
}

export const PASSAGES: readonly Passage[] = [
  {
    key: "staging-db",
    text: "The staging PostgreSQL database listens on port 5433 on host db-stage-2.",
  },
  {
    key: "prod-deploy",
    text:
      "Production deployments happen only on Tuesdays and Thursdays after 14:00, never on Fridays.",
  },
  {
    key: "coffee",
    text: "Anna drinks her coffee black, without sugar, and prefers a flat white on weekends.",
  },
  {
    key: "cat",
    text:
      "Our cat Miso is twelve years old, eats wet food twice a day and hates the vacuum cleaner.",
  },
  {
    key: "vpn",
    text:
      "The office VPN uses WireGuard; the config file lives in ~/vpn/office.conf and expires in March.",
  },
  {
    key: "err-e1042",
    text:
      "Error E1042 from the billing service means the customer's card was declined by the bank.",
  },
  {
    key: "birthday",
    text: "Mark's birthday is on the 9th of August; he likes board games and dark chocolate.",
  },
  {
    key: "backup",
    text:
      "Nightly backups of the file server run at 02:30 and are kept for 35 days in the S3 bucket acme-backups.",
  },
  {
    key: "sourdough",
    text:
      "Sourdough recipe: 500 g flour, 350 g water, 100 g starter, 10 g salt; bake at 250 °C for 40 minutes.",
  },
  {
    key: "flight",
    text:
      "The flight to Lisbon leaves Berlin at 07:15 on 3 December from terminal 1, booking code QX7PLM.",
  },
  {
    key: "dentist",
    text:
      "Dentist appointment with Dr. Weber every six months; the next one is on 14 January at 9 am.",
  },
  {
    key: "allergy",
    text: "Lena is allergic to peanuts and shellfish; always check restaurant menus for both.",
  },
  {
    key: "kafka-retention",
    text: "The Kafka topic orders.events keeps messages for seven days and has twelve partitions.",
  },
  {
    key: "wifi",
    text:
      "The guest wifi network is called Harbor-Guest and its password changes on the first of each month.",
  },
  {
    key: "plants",
    text: "Water the fern and the orchids on Sundays; the cactus only once a month in winter.",
  },
  {
    key: "car",
    text: "The car is due for its inspection in May; tyres were changed to summer tyres in April.",
  },
  {
    key: "book-club",
    text:
      "The book club meets on the last Wednesday of the month; this month we read The Left Hand of Darkness.",
  },
  {
    key: "python-version",
    text: "The data pipeline is pinned to Python 3.11 because a dependency breaks on 3.12.",
  },
  {
    key: "rent",
    text: "Rent of 1450 euros is paid by standing order on the 28th, to the landlord Mrs. Okafor.",
  },
  {
    key: "running",
    text:
      "Training plan: run 5 km on Monday, intervals on Wednesday and a long 15 km run on Saturday.",
  },
  {
    key: "tls-cert",
    text:
      "The TLS certificate for api.example.org is issued by Let's Encrypt and renews automatically every 60 days.",
  },
  {
    key: "oncall",
    text: "On-call rotation: Priya covers the first week of December, Tom the second.",
  },
  {
    key: "grandma",
    text: "Grandma's phone number changed; she now prefers video calls on Sunday afternoons.",
  },
  {
    key: "invoice",
    text:
      "Freelance invoices are due within 30 days; the template is in Documents/invoices/template.odt.",
  },
  {
    key: "tea",
    text: "For guests, keep green tea and a caffeine-free rooibos in the kitchen cupboard.",
  },
  { key: "bike-lock", text: "The combination of the bike lock is 4-7-1-9." },
  {
    key: "migraine",
    text: "Tom gets migraines from flickering lights, so the meeting room uses warm, steady lamps.",
  },
  {
    key: "garden-party",
    text:
      "The garden party is planned for 21 June; we need forty chairs and a tent in case of rain.",
  },
  {
    key: "spanish",
    text:
      "Learning Spanish: twenty minutes of vocabulary each morning, conversation class on Thursday evenings.",
  },
  {
    key: "solar",
    text:
      "The rooftop solar panels produced 4.2 MWh last year; the inverter reports to the monitoring portal.",
  },
];

/** A query and the passage that answers it. */
export interface Query {
  readonly query: string;
  readonly expect: string;
  readonly kind: "keyword" | "meaning";
}

export const QUERIES: readonly Query[] = [
  { query: "staging database port", expect: "staging-db", kind: "keyword" },
  { query: "What does error E1042 mean?", expect: "err-e1042", kind: "keyword" },
  { query: "booking code of the Lisbon flight", expect: "flight", kind: "keyword" },
  {
    query: "how many partitions does orders.events have",
    expect: "kafka-retention",
    kind: "keyword",
  },
  { query: "bike lock combination", expect: "bike-lock", kind: "keyword" },
  { query: "WireGuard config", expect: "vpn", kind: "keyword" },
  { query: "sourdough flour and water", expect: "sourdough", kind: "keyword" },
  { query: "guest wifi password", expect: "wifi", kind: "keyword" },
  { query: "Python version of the data pipeline", expect: "python-version", kind: "keyword" },
  { query: "when is Mark's birthday", expect: "birthday", kind: "keyword" },
  { query: "who is on call in December", expect: "oncall", kind: "keyword" },
  { query: "TLS certificate renewal", expect: "tls-cert", kind: "keyword" },
  {
    query: "Which foods must be avoided when we eat out with Lena?",
    expect: "allergy",
    kind: "meaning",
  },
  { query: "How old is our pet?", expect: "cat", kind: "meaning" },
  { query: "How much electricity did we generate?", expect: "solar", kind: "meaning" },
  { query: "when do we pay the landlady", expect: "rent", kind: "meaning" },
  { query: "headache trigger for a colleague", expect: "migraine", kind: "meaning" },
  { query: "What beverage does Anna like?", expect: "coffee", kind: "meaning" },
  { query: "when can we ship a release to prod", expect: "prod-deploy", kind: "meaning" },
  {
    query: "How long are copies of the server's files retained?",
    expect: "backup",
    kind: "meaning",
  },
  { query: "jogging schedule", expect: "running", kind: "meaning" },
  { query: "How often should I get my teeth looked at?", expect: "dentist", kind: "meaning" },
];
