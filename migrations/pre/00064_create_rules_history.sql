-- +goose Up
CREATE TABLE IF NOT EXISTS `rules_history` (
  `change_id` INT NOT NULL AUTO_INCREMENT,
  `changed_by` VARCHAR(100) NOT NULL,
  `timestamp` BIGINT NOT NULL,
  `rule_id` INT NOT NULL,
  `alias` VARCHAR(50) NULL,
  `priority` INT NULL,
  `mapping` VARCHAR(100) NULL,
  `fallbackMapping` VARCHAR(100) NULL,
  `backgroundRate` INT NULL,
  `update_type` VARCHAR(15) NULL,
  `product` VARCHAR(15) NULL,
  `version` VARCHAR(75) NULL,
  `channel` VARCHAR(75) NULL,
  `buildTarget` VARCHAR(75) NULL,
  `buildID` VARCHAR(20) NULL,
  `locale` VARCHAR(200) NULL,
  `osVersion` VARCHAR(1000) NULL,
  `memory` VARCHAR(100) NULL,
  `instructionSet` VARCHAR(1000) NULL,
  `jaws` INT NULL,
  `mig64` INT NULL,
  `distribution` VARCHAR(2000) NULL,
  `distVersion` VARCHAR(100) NULL,
  `headerArchitecture` VARCHAR(10) NULL,
  `comment` VARCHAR(500) NULL,
  `data_version` INT NULL,
  PRIMARY KEY (`change_id`)
) ENGINE=InnoDB;

-- +goose Down
DROP TABLE IF EXISTS `rules_history`;
