pub mod display;
pub mod net;
pub mod webdriver;
