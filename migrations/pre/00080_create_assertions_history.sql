-- +goose Up
CREATE TABLE IF NOT EXISTS `assertions_history` (
  `change_id` INT NOT NULL AUTO_INCREMENT,
  `changed_by` VARCHAR(100) NOT NULL,
  `timestamp` BIGINT NOT NULL,
  `assertion_id` INT NOT NULL,
  `product` VARCHAR(15) NULL,
  `url` VARCHAR(2000) NULL,
  `expected_release` VARCHAR(100) NULL,
  `comment` VARCHAR(500) NULL,
  `data_version` INT NULL,
  PRIMARY KEY (`change_id`)
) ENGINE=InnoDB;

-- +goose Down
DROP TABLE IF EXISTS `assertions_history`;
