//! The rule's Critical Tracking Events. Cooling (§ 1.1330) and initial packing (§ 1.1335) of
//! raw agricultural commodities have no CBV business step of their own and are not derived yet.

/// A Critical Tracking Event of 21 CFR 1 subpart S.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Cte {
    /// § 1.1325: a raw agricultural commodity harvested (here: a lot commissioned with harvest or
    /// catch information in its ILMD).
    Harvesting,
    /// § 1.1340: the first receiving on land of food caught at sea.
    FirstLandBasedReceiving,
    /// § 1.1345.
    Shipping,
    /// § 1.1350.
    Receiving,
    /// § 1.1355: a new lot made from others (a TransformationEvent, or a commissioning with
    /// inputs).
    Transformation,
}

impl Cte {
    /// The rule's name for it, as the spreadsheet shows it.
    pub fn name(self) -> &'static str {
        match self {
            Cte::Harvesting => "Harvesting",
            Cte::FirstLandBasedReceiving => "First Land-Based Receiving",
            Cte::Shipping => "Shipping",
            Cte::Receiving => "Receiving",
            Cte::Transformation => "Transformation",
        }
    }

    /// The section of 21 CFR part 1 that lists its KDEs.
    pub fn section(self) -> &'static str {
        match self {
            Cte::Harvesting => "1.1325",
            Cte::FirstLandBasedReceiving => "1.1340",
            Cte::Shipping => "1.1345",
            Cte::Receiving => "1.1350",
            Cte::Transformation => "1.1355",
        }
    }
}
