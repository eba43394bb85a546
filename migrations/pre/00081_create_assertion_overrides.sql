-- +goose Up
-- One row per broken assertion of a write an admin made with
-- ?override_assertions=1: who, when, which request, expected and actual.
CREATE TABLE IF NOT EXISTS `assertion_overrides` (
  `override_id` INT NOT NULL AUTO_INCREMENT,
  `changed_by` VARCHAR(100) NOT NULL,
  `timestamp` BIGINT NOT NULL,
  `request` VARCHAR(2000) NOT NULL,
  `assertion_id` INT NOT NULL,
  `product` VARCHAR(15) NOT NULL,
  `url` VARCHAR(2000) NOT NULL,
  `expected_release` VARCHAR(100) NULL,
  `actual_release` VARCHAR(100) NULL,
  PRIMARY KEY (`override_id`)
) ENGINE=InnoDB;

-- +goose Down
DROP TABLE IF EXISTS `assertion_overrides`;
